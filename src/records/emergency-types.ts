/**
 * `emr emergency types <types> [--apply-existing]`, the whole use case (docs/SHARING.md
 * § 4.2; docs/CLI.md § emergency types). Emergency types are not retroactive: a record is
 * open to break-glass only if its current ciphertext was encrypted to the consortium
 * emergency key, which happens when it is added (or re-keyed) while its type is
 * emergency-visible. So after setting the types, the existing records of those types that
 * are not covered are found from the chain's history and, when asked (`--apply-existing`,
 * or yes at the terminal's question), re-keyed for the emergency key too (SHARING.md § 3.3: a new file
 * key for exactly who may read the record now, the author's signature unchanged).
 */
import { emergencyRecipient } from '../chain/emergency-recipient.js';
import { addressTopic, type ChainEvent, queryEvents } from '../chain/logs.js';
import { listRecords, type RecordInfo } from '../chain/records.js';
import { setEmergencyTypes } from '../chain/set-emergency-types.js';
import type { EmrChain } from '../chain/types.js';
import type { RecordStore } from '../ipfs/store.js';
import { maskToTypes } from '../record-types.js';
import type { With } from '../session/index.js';
import { currentRecipients, type Rekeyed, rekeyRecords, type Skipped } from './rekey.js';
import { slotsFor } from './type-keys.js';

/** Said in the output, the help and the docs (SHARING.md § 4.2). */
export const EMERGENCY_RULE =
  'emergency types cover records added from now on; existing records of those types open to break-glass only once re-keyed (--apply-existing)';

export interface EmergencyTypesResult {
  types: string[];
  txHash: string;
  rule: string;
  existing: {
    /** Records of these types (not voided) whose current ciphertext the emergency key cannot open. */
    uncovered: string[];
    applied: boolean;
    rekeyed: Rekeyed[];
    skipped: Skipped[];
    warnings: string[];
    /** Why nothing could be applied (no consortium emergency key published), else null. */
    blocked: string | null;
  };
}

const before = (e: ChainEvent, at: { blockNumber: number; logIndex: number }) =>
  e.blockNumber < at.blockNumber || (e.blockNumber === at.blockNumber && e.logIndex < at.logIndex);

/**
 * The patient's records of `mask`'s types whose current ciphertext was not encrypted to the
 * emergency key now published: registered while the type was not emergency-visible, or
 * while another (or no) emergency key was published.
 */
export async function uncoveredRecords(chain: EmrChain, patient: string, mask: number, recipient: string | null): Promise<RecordInfo[]> {
  const [records, masks, keys] = await Promise.all([
    listRecords(chain, { patient }),
    queryEvents(chain, { names: ['EmergencyTypesSet'], topics: [addressTopic(patient)] }),
    queryEvents(chain, { names: ['EmergencyRecipientSet'] }),
  ]);
  return records.filter((r) => {
    if (r.voided || !((mask >>> r.recordType) & 1)) return false;
    const maskThen = Number(masks.filter((e) => before(e, r.cidAt)).at(-1)?.args[1] ?? 0);
    const keyThen = keys.filter((e) => before(e, r.cidAt)).at(-1)?.args[1] ?? null;
    return !((maskThen >>> r.recordType) & 1) || keyThen === null || keyThen !== recipient;
  });
}

export async function emergencyTypesFlow(
  s: With<'me' | 'chain'>,
  mask: number,
  apply: boolean | undefined,
  openStore: () => Promise<{ store: RecordStore; scratch: string }>,
): Promise<EmergencyTypesResult> {
  const patient = s.me.profile.address;
  const types = maskToTypes(mask);
  // On chain: the patient's slots of the types, padded with spare slots (CONTRACT.md § Privacy).
  const slots = await slotsFor(s, patient);
  const slotMask = slots.pad(slots.toMask(types));
  const tx = await setEmergencyTypes(s.chain, { mask: slotMask });
  const existing: EmergencyTypesResult['existing'] = {
    uncovered: [],
    applied: false,
    rekeyed: [],
    skipped: [],
    warnings: [],
    blocked: null,
  };
  const out = { types, txHash: tx.txHash, rule: EMERGENCY_RULE, existing };
  if (!mask) return out;
  const recipient = await emergencyRecipient(s.chain);
  const uncovered = await uncoveredRecords(s.chain, patient, slotMask, recipient);
  existing.uncovered = uncovered.map((r) => r.id.toString());
  if (!uncovered.length) return out;
  if (!recipient) {
    existing.blocked = 'no consortium emergency key is published yet (`emr admin emergency-recipient`)';
    return out;
  }
  existing.applied =
    apply ??
    (await s.confirm(`Re-key ${uncovered.length} existing record(s) of types ${types.join(', ')} so that break-glass can open them?`));
  if (!existing.applied) return out;
  const { store, scratch } = await openStore();
  const deps = { chain: s.chain, me: s.me, store, scratch };
  const res = await rekeyRecords(deps, uncovered, await currentRecipients(deps, patient, null, existing.warnings), {
    resumeHint:
      'the types were set; run `emr emergency types … --apply-existing` again when the chain and store answer: it re-keys only what is left',
  });
  existing.rekeyed = res.rekeyed;
  existing.skipped = res.skipped;
  return out;
}
