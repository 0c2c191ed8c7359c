/**
 * eraseRecord: the patient tombstones one of its records (CONTRACT.md § Erasure). The
 * contract cannot see whose record an id is: the tombstone is keyed by the caller, and
 * readers (records.ts) accept it only from the record's patient. `sealedReason` is already
 * sealed to the patient (records/erase-reason.ts): nothing clinical goes on chain in clear.
 */
import { UsageError } from '../errors.js';
import { checkId, parseAddress } from './params.js';
import { read } from './read.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

/** The contract's bound on the sealed reason (MAX_REQUEST_REASON_LENGTH), in bytes. */
export const MAX_SEALED_ERASE_REASON = 4096;

export async function eraseRecord(chain: EmrChain, params: { id: bigint | number | string; sealedReason: string }): Promise<SentTx> {
  if (Buffer.byteLength(params.sealedReason, 'utf8') > MAX_SEALED_ERASE_REASON) {
    throw new UsageError(`the sealed reason is over ${MAX_SEALED_ERASE_REASON} bytes`, { hint: 'give a shorter --reason' });
  }
  const sent = await send(chain, 'eraseRecord', [checkId(params.id), params.sealedReason]);
  return { txHash: sent.txHash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed };
}

/** Unix seconds at which `patient` erased record `id`, or 0 (the state behind the event). */
export async function erasedOf(chain: EmrChain, patient: string, id: bigint | number | string): Promise<number> {
  return Number(await read(chain, 'erasedOf', [parseAddress(patient, 'patient'), checkId(id)]));
}
