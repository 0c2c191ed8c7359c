/** addRecord: register one record (CONTRACT.md § Model). */
import { type CidParts, cidToParts } from './cid.js';
import { checkBytes32, checkRecordType, parseAddress } from './params.js';
import { eventOf, send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export type RecordContent = { cid: string } | CidParts;

export type AddRecordParameters = RecordContent & {
  patient: string;
  /** Index into RECORD_TYPES (src/record-types.ts). */
  recordType: number;
};

export function contentParts(c: RecordContent): CidParts {
  if ('cid' in c) return cidToParts(c.cid);
  return { cidCodec: c.cidCodec, digest: checkBytes32(c.digest, 'digest') };
}

export async function addRecord(chain: EmrChain, params: AddRecordParameters): Promise<SentTx & { id: bigint }> {
  const { cidCodec, digest } = contentParts(params);
  const sent = await send(chain, 'addRecord', [
    parseAddress(params.patient, 'patient'),
    checkRecordType(params.recordType),
    cidCodec,
    digest,
  ]);
  const id = eventOf(sent, 'RecordAdded').args[0];
  return { txHash: sent.txHash, blockNumber: sent.blockNumber, gasUsed: sent.gasUsed, id };
}
