/**
 * The event decoder specialised to this contract's event types (src/chain/event-decoder.ts;
 * CONTRACT.md § Reading logs, "Decoding") against ethers' generic `decodeEventLog`: every
 * event kind the contract emits, from real logs the contract wrote on anvil, and the same
 * logs made hostile (short data, missing and extra topics, offsets and lengths out of range,
 * huge counts, dirty address words, bytes that are not UTF-8, random corruption). Both must
 * give the same values, defer the same arguments (reading them throws) and refuse the same
 * logs.
 */
import { type EventFragment, Interface, type Log } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { emrAbi } from '../../src/chain/abi.generated.js';
import { addRecord } from '../../src/chain/add-record.js';
import { decodersOf, decodeWith } from '../../src/chain/event-decoder.js';
import { decodeEvent } from '../../src/chain/logs.js';
import { addOrgMember, createOrg, grantOrg, removeOrgMember, revokeOrg } from '../../src/chain/org.js';
import { requestAccess } from '../../src/chain/request-access.js';
import { send } from '../../src/chain/send.js';
import { type ChainWorld, chainWorld, digest, X25519_RECIPIENT } from '../helpers/world.js';

const iface = new Interface(emrAbi);
const YEAR = 365 * 86400;

type Outcome = { threw: true } | { threw: false; args: Array<{ deferred: true } | { value: unknown }> };

/** What reading every argument of a decode gives: values, deferred (throws when read), or a refusal. */
function outcome(n: number, decode: () => ArrayLike<unknown>): Outcome {
  let r: ArrayLike<unknown>;
  try {
    r = decode();
  } catch {
    return { threw: true };
  }
  const args: Array<{ deferred: true } | { value: unknown }> = [];
  for (let i = 0; i < n; i++) {
    try {
      const v = r[i];
      args.push({ value: v !== null && typeof v === 'object' ? Array.from(v as ArrayLike<unknown>) : v });
    } catch {
      args.push({ deferred: true });
    }
  }
  return { threw: false, args };
}

const fragmentOf = (topic0: string): EventFragment => {
  let found: EventFragment | undefined;
  iface.forEachEvent((f) => {
    if (f.topicHash === topic0.toLowerCase()) found = f;
  });
  return found!;
};

/** Both decoders on (data, topics): the same outcome, and the outcome. */
function same(data: string, topics: readonly string[], label: string): Outcome {
  const frag = fragmentOf(topics[0]!);
  const dec = decodersOf(iface).get(topics[0]!.toLowerCase())!;
  const n = frag.inputs.length;
  const theirs = outcome(n, () => iface.decodeEventLog(frag, data, topics as string[]));
  const ours = outcome(n, () => decodeWith(dec, data, topics));
  expect(ours, label).toEqual(lossyStrings(frag, theirs, ours));
  return ours;
}

/**
 * The one deliberate difference (src/chain/event-decoder.ts; CONTRACT.md § Reading logs,
 * "Decoding"): where ethers defers a string argument's error and ours reads a string with
 * U+FFFD in it, the bytes were not UTF-8 and ours decoded them lossily. Anything else must
 * match ethers exactly.
 */
function lossyStrings(frag: EventFragment, theirs: Outcome, ours: Outcome): Outcome {
  if (theirs.threw || ours.threw) return theirs;
  return {
    threw: false,
    args: theirs.args.map((a, i) => {
      const o = ours.args[i];
      const lossy = 'deferred' in a && frag.inputs[i]?.type === 'string' && o && 'value' in o && String(o.value).includes('\ufffd');
      return lossy ? o : a;
    }),
  };
}

const word = (v: bigint) => v.toString(16).padStart(64, '0');
const hexOf = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

/** A deterministic byte stream (xorshift): the corruption is the same on every run. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Word values that probe every bound: zero, small, 2^53 ± 1, the data's length, all ones, dirty high bits. */
function hostileWords(dataBytes: number): bigint[] {
  return [
    0n,
    1n,
    31n,
    32n,
    64n,
    BigInt(dataBytes),
    BigInt(dataBytes - 32),
    BigInt(dataBytes + 1),
    2n ** 53n - 1n,
    2n ** 53n,
    2n ** 53n + 1n,
    2n ** 64n,
    2n ** 160n,
    2n ** 160n + 5n,
    2n ** 256n - 1n,
  ];
}

let f: ChainWorld;
let logs: Log[] = [];

beforeAll(async () => {
  f = await chainWorld();
  const admin = f.admin;
  const p = await f.patient();
  const d = await f.provider();
  const d2 = await f.provider();
  const d3 = await f.provider();
  const x = await f.actor();
  const expiry = (await f.now()) + YEAR;
  await send(admin.chain, 'addAdmin', [x.address]);
  await send(admin.chain, 'removeAdmin', [x.address]);
  await send(admin.chain, 'setEmergencyRecipient', [X25519_RECIPIENT]);
  await send(admin.chain, 'suspendProvider', [d3.address]);
  await send(p.chain, 'setEmergencyTypes', [0b1110]);
  await send(p.chain, 'grant', [d.address, 0xff, 0xff, expiry, digest(1)]);
  const add = async (slot: number, n: number) =>
    (await addRecord(p.chain, { patient: p.address, recordType: slot, cidCodec: 0x55, digest: digest(n) })).id;
  const id1 = await add(1, 11);
  const id2 = await add(2, 12);
  const id3 = await add(3, 13);
  const id4 = await add(1, 14);
  await send(p.chain, 'rekeyRecord', [id1, 0x70, digest(15)]);
  await send(d.chain, 'logAccess', [id1, p.address, 1]);
  await send(p.chain, 'voidRecord', [id2, p.address, 'entered in error — é ✓ 🩺']);
  await send(d.chain, 'dispensePrescription', [id3, p.address, 3]);
  await send(p.chain, 'grantRecords', [d2.address, [id1, id3], expiry, digest(16)]);
  await send(p.chain, 'eraseRecord', [id4, 'sealed reason']);
  const r1 = await requestAccess(d2.chain, { patient: p.address, readMask: 0b11, reason: 'follow-up' });
  await send(p.chain, 'approveRequest', [r1.requestId, expiry, digest(17)]);
  const r2 = await requestAccess(d2.chain, { patient: p.address, readMask: 0b100, reason: '' });
  await send(p.chain, 'denyRequest', [r2.requestId]);
  await send(p.chain, 'revoke', [d2.address]);
  await send(d.chain, 'openEmergency', [p.address, 'unconscious in A&E']);
  await send(admin.chain, 'releaseEmergencyKeys', [p.address, d.address, digest(18)]);
  const { org } = await createOrg(admin.chain, { name: 'Decoder General', admins: [d.address] });
  await send(admin.chain, 'setOrgAdmin', [org, d2.address, true]);
  await addOrgMember(d.chain, { org, provider: d2.address, department: 'ward 3' });
  await grantOrg(p.chain, { org, readMask: 0b10, expiry });
  await revokeOrg(p.chain, { org });
  await removeOrgMember(d.chain, { org, provider: d2.address });
  logs = [...(await admin.chain.provider.getLogs({ address: f.contract, fromBlock: 0, toBlock: 'latest' }))];
}, 120_000);

describe('event-decoder: the same values and refusals as ethers decodeEventLog', () => {
  it('every event of the ABI has a specialised decoder (the read path never falls back to ethers)', () => {
    const missing: string[] = [];
    iface.forEachEvent((e) => {
      if (!decodersOf(iface).get(e.topicHash)) missing.push(e.name);
    });
    expect(missing).toEqual([]);
  });

  it('real logs of every event kind the contract emits decode as ethers decodes them', () => {
    const seen = new Set<string>();
    for (const log of logs) {
      const frag = fragmentOf(log.topics[0]!);
      seen.add(frag.name);
      const o = same(log.data, log.topics, frag.name);
      expect(o.threw, frag.name).toBe(false);
      // Through the read path's own entry point too.
      const ev = decodeEvent(iface, f.contract, log);
      expect(ev?.name).toBe(frag.name);
      expect((o as { args: Array<{ value: unknown }> }).args.map((a) => a.value)).toEqual(
        [...ev!.args].map((v) => (Array.isArray(v) ? [...v] : v)),
      );
    }
    const all: string[] = [];
    iface.forEachEvent((e) => {
      all.push(e.name);
    });
    expect([...seen].sort()).toEqual(all.sort());
  });

  it('hostile data: truncated, extended, every word replaced by bound-probing values, corrupted bytes', () => {
    let refused = 0;
    let deferred = 0;
    for (const log of logs) {
      const name = fragmentOf(log.topics[0]!).name;
      const bytes = Buffer.from(log.data.slice(2), 'hex');
      // Short data, at every byte length up to the real one (and padding beyond it).
      for (let n = 0; n <= bytes.length + 40; n += n < bytes.length ? 1 : 8) {
        const b = Buffer.alloc(n);
        bytes.copy(b, 0, 0, Math.min(n, bytes.length));
        if (same(hexOf(b), log.topics, `${name} data ${n} bytes`).threw) refused++;
      }
      // Every word replaced by each hostile value.
      for (let w = 0; w * 32 < bytes.length; w++) {
        for (const v of hostileWords(bytes.length)) {
          const b = Buffer.from(bytes);
          Buffer.from(word(v), 'hex').copy(b, w * 32);
          const o = same(hexOf(b), log.topics, `${name} word ${w} = ${v}`);
          if (o.threw) refused++;
          else if (o.args.some((a) => 'deferred' in a)) deferred++;
        }
      }
      // Random corruption (seeded): flipped bytes anywhere in the data.
      const r = rng(bytes.length * 7919 + log.index);
      for (let k = 0; k < 40; k++) {
        const b = Buffer.from(bytes);
        for (let j = 0; j < 1 + Math.floor(r() * 3) && b.length; j++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
        same(hexOf(b), log.topics, `${name} corrupted #${k}`);
      }
    }
    // The probes reached both kinds of refusal.
    expect(refused).toBeGreaterThan(0);
    expect(deferred).toBeGreaterThan(0);
  });

  it('hostile topics: missing, extra, dirty address words, malformed hex', () => {
    for (const log of logs) {
      const name = fragmentOf(log.topics[0]!).name;
      const t = log.topics;
      for (let k = 1; k <= t.length; k++) same(log.data, t.slice(0, k), `${name} ${k} topics`);
      same(log.data, [...t, '0x' + 'ab'.repeat(32)], `${name} extra topic`);
      for (let i = 1; i < t.length; i++) {
        for (const v of [2n ** 160n + 1n, 2n ** 256n - 1n, 0n]) {
          const u = [...t];
          u[i] = '0x' + word(v);
          same(log.data, u, `${name} topic ${i} = ${v}`);
        }
        const odd = [...t];
        odd[i] = t[i]!.slice(0, -1);
        same(log.data, odd, `${name} topic ${i} odd hex`);
        const short = [...t];
        short[i] = t[i]!.slice(0, 34);
        same(log.data, short, `${name} topic ${i} 16 bytes`);
      }
      same('0x0', t, `${name} odd data hex`);
      same('0xzz', t, `${name} non-hex data`);
    }
  });

  it('strings: not UTF-8, overlong, surrogates, BOM, unpadded at the end; arrays: huge counts', () => {
    const strLog = logs.find((l) => fragmentOf(l.topics[0]!).name === 'RecordVoided')!;
    const cases: number[][] = [
      [0xef, 0xbb, 0xbf, 0x41],
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0x80],
      [0xe2, 0x82],
      [0x00, 0x41],
      [0xf0, 0x9f, 0xa9, 0xba],
    ];
    for (const c of cases) {
      for (const pad of [true, false]) {
        const body = Buffer.from(c);
        const padded = pad ? Buffer.concat([body, Buffer.alloc((32 - (body.length % 32)) % 32)]) : body;
        const data = '0x' + word(32n) + word(BigInt(body.length)) + padded.toString('hex');
        same(data, strLog.topics, `string ${Buffer.from(c).toString('hex')} pad ${pad}`);
      }
    }
    // Not UTF-8: read, lossily (RecordVoided's reason is argument 3), where ethers throws.
    const bad = '0x' + word(32n) + word(3n) + Buffer.concat([Buffer.from([0x41, 0xff, 0x42]), Buffer.alloc(29)]).toString('hex');
    expect(() => iface.decodeEventLog(fragmentOf(strLog.topics[0]!), bad, strLog.topics as string[])[3]).toThrow();
    expect(decodeWith(decodersOf(iface).get(strLog.topics[0]!.toLowerCase())!, bad, strLog.topics)[3]).toBe('A\ufffdB');
    const arrLog = logs.find((l) => fragmentOf(l.topics[0]!).name === 'RecordsGranted')!;
    const tail = arrLog.data.slice(2 + 64);
    for (const count of [0n, 1n, 2n, 3n, 1000n, 2n ** 32n, 2n ** 53n, 2n ** 256n - 1n]) {
      // RecordsGranted: (ids offset, expiry, epoch, keyDelivery) then [count, items...].
      const head = arrLog.data.slice(2, 2 + 64 * 4);
      const items = tail.slice(64 * 4);
      same('0x' + head + word(count) + items, arrLog.topics, `array count ${count}`);
    }
  });
});
