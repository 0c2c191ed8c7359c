/**
 * Grant reads. The contract answers "may X read?" in O(1) but cannot enumerate grantees;
 * candidates come from events and each is confirmed against current state.
 */
import { IntegrityError } from '../errors.js';
import { toChainError } from './errors.js';
import { addressTopic, blockTimes, queryEvents } from './logs.js';
import { checkRecordType, parseAddress } from './params.js';
import { read } from './read.js';
import type { EmrChain } from './types.js';
import { whoisForEncryption } from './whois.js';

export interface GrantState {
  patient: string;
  provider: string;
  /** Unix seconds; 0 when none. */
  expiry: number;
  readMask: number;
  writeMask: number;
  epoch: number;
  emergencyUntil: number;
  /** Expiry in the future (by the latest block's clock) and some mask set. */
  live: boolean;
  /** An emergency window is open now (by the latest block's clock). */
  emergencyOpen: boolean;
}

async function latestTime(chain: EmrChain): Promise<number> {
  const b = await chain.provider.getBlock('latest');
  return b ? b.timestamp : Math.floor(Date.now() / 1000);
}

export async function grantOf(chain: EmrChain, patient: string, provider: string): Promise<GrantState> {
  const p = parseAddress(patient, 'patient');
  const q = parseAddress(provider, 'provider');
  let now: number;
  let g: readonly [bigint, bigint, bigint, bigint, bigint];
  try {
    [g, now] = await Promise.all([read(chain, 'grantOf', [p, q]), latestTime(chain)]);
  } catch (e) {
    throw toChainError(e, chain.iface);
  }
  const [expiry, readMask, writeMask, epoch, emergencyUntil] = g.map(Number) as [number, number, number, number, number];
  return {
    patient: p,
    provider: q,
    expiry,
    readMask,
    writeMask,
    epoch,
    emergencyUntil,
    live: expiry > now && (readMask | writeMask) !== 0,
    emergencyOpen: emergencyUntil > now,
  };
}

export async function canRead(
  chain: EmrChain,
  params: { reader: string; patient: string; recordType: number; recordId?: bigint | number },
): Promise<boolean> {
  return read(chain, 'canRead', [
    parseAddress(params.reader, 'reader'),
    parseAddress(params.patient, 'patient'),
    checkRecordType(params.recordType),
    BigInt(params.recordId ?? 0),
  ]);
}

/**
 * Whether `reader` may open a record now: its patient and its author always (both are
 * recipients of every version of it), anyone else as the contract's canRead answers, so a
 * cached entry or a key still held never outlives a revocation (canRead: CONTRACT.md § Functions: who may call).
 */
export async function mayReadRecord(
  chain: EmrChain,
  reader: string,
  rec: { patient: string; author: string; recordType: number; id: bigint },
): Promise<boolean> {
  const r = reader.toLowerCase();
  if (rec.patient.toLowerCase() === r || rec.author.toLowerCase() === r) return true;
  return canRead(chain, { reader, patient: rec.patient, recordType: rec.recordType, recordId: rec.id });
}

export async function canWrite(chain: EmrChain, params: { author: string; patient: string; recordType: number }): Promise<boolean> {
  return read(chain, 'canWrite', [
    parseAddress(params.author, 'author'),
    parseAddress(params.patient, 'patient'),
    checkRecordType(params.recordType),
  ]);
}

export interface LiveReader {
  address: string;
  /** The published age recipient as registered (unchecked); '' when it cannot be read back. */
  recipient: string;
  expiry: number;
  /**
   * Why the key cannot be used although it reads back: it is not the one pinned in the
   * contact book, or the endpoints disagree (SHARING.md § 8). The records flow skips the
   * reader with this message (§ 1.5: one reader never blocks a record).
   */
  refused?: { message: string; hint: string | undefined };
}

/**
 * Everyone other than the patient who may read new records of `recordType` now, with
 * their published recipients: the records flow encrypts new records to them. Emergency
 * readers are not included (they read through the consortium emergency recipient).
 */
export async function liveReaders(chain: EmrChain, patient: string, recordType: number): Promise<LiveReader[]> {
  const p = parseAddress(patient, 'patient');
  const events = await queryEvents(chain, { names: ['Granted'], topics: [addressTopic(p)] });
  const candidates = [...new Set(events.map((e) => e.args[1]))];
  const out: LiveReader[] = [];
  for (const c of candidates) {
    const g = await grantOf(chain, p, c);
    if (!g.live || ((g.readMask >>> recordType) & 1) === 0) continue;
    // canRead adds what the grant slot alone cannot say (e.g. a suspended provider).
    if (!(await canRead(chain, { reader: c, patient: p, recordType }))) continue;
    out.push({ ...(await readerKey(chain, c)), expiry: g.expiry });
  }
  return out;
}

/**
 * A reader's published key for a new record. A reader whose key cannot be read back (no
 * event, commitment mismatch) is still listed, with recipient '': the records flow skips it
 * and says so instead of letting one grantee block the patient's records (SHARING.md § 1.5).
 */
export async function readerKey(chain: EmrChain, address: string): Promise<Omit<LiveReader, 'expiry'>> {
  let recipient = '';
  let refused: LiveReader['refused'];
  try {
    recipient = (await whoisForEncryption(chain, address)).recipient ?? '';
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    // A key that reads back but is refused by the contact book (§ 8.2) or by a second
    // endpoint (§ 8.4) says so; the others stay the "not a valid age recipient" case.
    if (e.details?.address) refused = { message: e.message, hint: e.hint };
  }
  return { address, recipient, ...(refused ? { refused } : {}) };
}

export interface KeyDelivery {
  kind: 'grant' | 'records' | 'emergency';
  keyDelivery: string;
  recordIds: bigint[];
  blockNumber: number;
  txHash: string;
  time: number;
}

/**
 * Digests of the key-delivery objects published for a provider about a patient, oldest
 * first: by the patient (grants) or by a consortium admin during an open emergency.
 */
export async function keyDeliveries(chain: EmrChain, patient: string, provider: string): Promise<KeyDelivery[]> {
  const topics = [addressTopic(parseAddress(patient, 'patient')), addressTopic(parseAddress(provider, 'provider'))];
  const events = await queryEvents(chain, { names: ['Granted', 'RecordsGranted', 'EmergencyKeysReleased'], topics });
  const zero = `0x${'00'.repeat(32)}`;
  const out: KeyDelivery[] = [];
  for (const e of events) {
    // keyDelivery is the 6th field of Granted/RecordsGranted, the 4th of EmergencyKeysReleased.
    const kd = (e.name === 'EmergencyKeysReleased' ? e.args[3] : e.args[5]) as string;
    if (kd === zero) continue;
    out.push({
      kind: e.name === 'Granted' ? 'grant' : e.name === 'RecordsGranted' ? 'records' : 'emergency',
      keyDelivery: kd,
      recordIds: e.name === 'RecordsGranted' ? [...(e.args[2] as bigint[])] : [],
      blockNumber: e.blockNumber,
      txHash: e.txHash,
      time: 0,
    });
  }
  const times = await blockTimes(
    chain,
    out.map((k) => k.blockNumber),
  );
  for (const k of out) k.time = times.get(k.blockNumber) ?? 0;
  return out;
}
