/**
 * addRecords: many records in one transaction, as packed 54-byte entries
 * (patient ‖ type ‖ codec ‖ digest; CONTRACT.md § Batch). Entries for the same patient
 * should be adjacent: the contract re-checks authorisation only when the patient or
 * type changes.
 */
import { UsageError } from '../errors.js';
import { type AddRecordParameters, contentParts } from './add-record.js';
import { checkRecordType, parseAddress } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export const ENTRY_BYTES = 54;

export function packRecords(records: readonly AddRecordParameters[]): string {
  const out = Buffer.alloc(records.length * ENTRY_BYTES);
  records.forEach((r, i) => {
    const { cidCodec, digest } = contentParts(r);
    const off = i * ENTRY_BYTES;
    Buffer.from(parseAddress(r.patient, 'patient').slice(2), 'hex').copy(out, off);
    out[off + 20] = checkRecordType(r.recordType);
    out[off + 21] = cidCodec;
    Buffer.from(digest.slice(2), 'hex').copy(out, off + 22);
  });
  return `0x${out.toString('hex')}`;
}

export async function addRecords(
  chain: EmrChain,
  params: { records: readonly AddRecordParameters[] },
): Promise<SentTx & { ids: bigint[] }> {
  if (params.records.length === 0) throw new UsageError('no records to add', { hint: 'pass at least one record' });
  const sent = await send(chain, 'addRecords', [packRecords(params.records)]);
  const ids = sent.events.filter((e) => e.name === 'RecordAdded').map((e) => e.args[0] as bigint);
  return { txHash: sent.txHash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed, ids };
}
