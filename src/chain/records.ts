/**
 * Record reads: records are RecordAdded events; a RecordRekeyed event replaces the CID
 * only when its emitter (the `patient` topic) is the record's patient, because the
 * contract cannot check that itself (CONTRACT.md § Re-key).
 */
import { NotFoundError } from '../errors.js';
import { partsToCid } from './cid.js';
import { addressTopic, blockTimes, type ChainEvent, idTopic, queryEvents } from './logs.js';
import { checkId, parseAddress } from './params.js';
import type { EmrChain } from './types.js';

export interface RecordInfo {
  id: bigint;
  patient: string;
  author: string;
  recordType: number;
  /** Current location (after re-keys). */
  cid: string;
  cidCodec: number;
  digest: string;
  /** The CID first registered, when a re-key replaced it. */
  originalCid: string | null;
  rekeyCount: number;
  blockNumber: number;
  txHash: string;
  /** Unix seconds of the block that added the record. */
  createdAt: number;
}

function fromEvent(ev: ChainEvent<'RecordAdded'>): RecordInfo {
  const cidCodec = Number(ev.args[4]);
  const digest = ev.args[5].toLowerCase();
  return {
    id: ev.args[0],
    patient: ev.args[1],
    author: ev.args[2],
    recordType: Number(ev.args[3]),
    cid: partsToCid({ cidCodec, digest }),
    cidCodec,
    digest,
    originalCid: null,
    rekeyCount: 0,
    blockNumber: ev.blockNumber,
    txHash: ev.txHash,
    createdAt: 0,
  };
}

function applyRekeys(records: RecordInfo[], rekeys: ChainEvent<'RecordRekeyed'>[]): void {
  const byId = new Map(records.map((r) => [r.id, r]));
  for (const ev of rekeys) {
    const rec = byId.get(ev.args[0]);
    // Only the record's own patient may re-key it: other emitters are ignored.
    if (!rec || ev.args[1] !== rec.patient) continue;
    if (ev.blockNumber < rec.blockNumber) continue;
    rec.originalCid ??= rec.cid;
    rec.cidCodec = Number(ev.args[2]);
    rec.digest = ev.args[3].toLowerCase();
    rec.cid = partsToCid({ cidCodec: rec.cidCodec, digest: rec.digest });
    rec.rekeyCount += 1;
  }
}

async function stamp(chain: EmrChain, records: RecordInfo[]): Promise<void> {
  const times = await blockTimes(
    chain,
    records.map((r) => r.blockNumber),
  );
  for (const r of records) r.createdAt = times.get(r.blockNumber) ?? 0;
}

export async function getRecord(chain: EmrChain, id: bigint | number | string): Promise<RecordInfo> {
  const rid = checkId(id);
  const [added, rekeys] = await Promise.all([
    queryEvents(chain, { names: ['RecordAdded'], topics: [idTopic(rid)] }),
    queryEvents(chain, { names: ['RecordRekeyed'], topics: [idTopic(rid)] }),
  ]);
  const first = added[0];
  if (!first) throw new NotFoundError(`record ${rid} not found`, { hint: 'list records with `emr record list`' });
  const rec = fromEvent(first);
  applyRekeys([rec], rekeys);
  await stamp(chain, [rec]);
  return rec;
}

export async function listRecords(chain: EmrChain, params: { patient?: string; author?: string } = {}): Promise<RecordInfo[]> {
  const patient = params.patient ? addressTopic(parseAddress(params.patient, 'patient')) : null;
  const author = params.author ? addressTopic(parseAddress(params.author, 'author')) : null;
  const [added, rekeys] = await Promise.all([
    queryEvents(chain, { names: ['RecordAdded'], topics: [null, patient, author] }),
    queryEvents(chain, { names: ['RecordRekeyed'], topics: [null, patient] }),
  ]);
  const records = added.map(fromEvent);
  applyRekeys(records, rekeys);
  await stamp(chain, records);
  return records;
}
