/**
 * rekeyRecord: the patient points a record at a re-encrypted copy. The contract does not
 * know whose record an id is; readers (getRecord) accept the rekey only when its
 * emitter is the record's patient (CONTRACT.md § Re-key).
 */
import { contentParts, type RecordContent } from './add-record.js';
import { checkId } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function rekeyRecord(chain: EmrChain, params: RecordContent & { id: bigint | number }): Promise<SentTx> {
  const { cidCodec, digest } = contentParts(params);
  return send(chain, 'rekeyRecord', [checkId(params.id), cidCodec, digest]);
}
