// Issue 20 point 1: a `grant --sign-only` stores its key-delivery object before anyone
// relays the signature, and hands its CID to the provider. A voided (revoked) or expired
// one MUST leave the store, and revoke/re-key MUST count the keys it carried, relayed or not
// (docs/SHARING.md § 2.7). Through the built binary on a devnet, with `store serve` as the
// provider would reach it and typage (the reference age in TypeScript) opening what it got.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as typage from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';
import { pinRpc } from '../helpers/pin-rpc.js';
import { type ServingSite, serveSite } from '../helpers/serve.js';

const c = clinic();
const { as, ok, file, rpc } = c;
let n = 0;
let site: ServingSite;

beforeAll(async () => {
  await c.keygen([
    ['admin', 'admin'],
    ['alice', 'patient'],
    ['mal', 'provider'],
    ['eve', 'provider'],
    ['grey', 'provider'],
  ]);
  pinRpc((await c.devnetUp('admin')).rpcUrl);
  await ok([...as('alice'), 'register']);
  for (const p of ['mal', 'eve', 'grey']) {
    await ok([...as(p), 'register', '--role', 'provider']);
    await ok([...as('admin'), 'admin', 'verify', p]);
  }
  site = await serveSite(['--home', c.home]);
}, 240_000);

afterAll(async () => {
  await site?.stop();
  await c.devnetDown();
});

async function add(type: string, text: string): Promise<{ id: string; cid: string }> {
  const r = (await ok([...as('alice'), 'record', 'add', file(`r${++n}.txt`, text), '--patient', 'alice', '--type', type])).records[0];
  return { id: r.id, cid: r.cid };
}

/** What the provider gets from the patient's `store serve` for a CID: status and bytes. */
async function get(cid: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${site.url}/ipfs/${cid}?format=raw`);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

const keys: Record<string, string> = {};
/** Opens an age file with `who`'s own exported identity and typage; null when it cannot. */
async function openAs(who: string, bytes: Buffer): Promise<string | null> {
  if (!keys[who]) {
    keys[who] = join(c.home, `${who}.key`);
    await ok([...as(who), 'key', 'export', who, '--format', 'age-identity', '-o', keys[who]!]);
  }
  const d = new typage.Decrypter();
  d.addIdentity(
    readFileSync(keys[who]!, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('#'))[0]!,
  );
  try {
    return await d.decrypt(bytes, 'text');
  } catch {
    return null;
  }
}

describe('a sign-only delivery that can no longer be relayed leaves the store (SHARING.md § 2.7)', () => {
  it('sign-only grant, revoke --rekey: the delivery CID is 404 at `store serve`, the record is re-keyed, the relay is refused', async () => {
    const lab = await add('lab', 'a lab mal must not read');
    const signedFile = join(c.home, `grant-mal-${++n}.json`);
    const g = await ok([...as('alice'), 'grant', 'mal', '--types', 'lab', '--expires', '30d', '--sign-only', '-o', signedFile]);
    expect(g.keysDelivered).toEqual([lab.id]);
    // Before the revoke the provider can fetch its delivery and open it: this is the leak.
    const before = await get(g.keyDeliveryCid);
    expect(before.status).toBe(200);
    expect(await openAs('mal', before.bytes)).toContain(lab.cid);

    const rv = await ok([...as('alice'), 'revoke', 'mal', '--rekey']);
    expect(rv.stillHeld.couldRead).toContain(lab.id);
    expect(rv.rekeyed.map((r: any) => r.id)).toContain(lab.id);
    expect(rv.voidedDeliveries).toContain(g.keyDeliveryCid);
    expect((await get(g.keyDeliveryCid)).status).toBe(404);
    // The ciphertext the delivered key opened is gone too; the new one does not open for mal.
    expect((await get(lab.cid)).status).toBe(404);
    const now = rv.rekeyed.find((r: any) => r.id === lab.id).newCid;
    const fresh = await get(now);
    expect(fresh.status).toBe(200);
    expect(await openAs('mal', fresh.bytes)).toBeNull();
    expect(await openAs('alice', fresh.bytes)).not.toBeNull();
    const relay = await emr([...as('mal'), '--json', 'relay', signedFile]);
    expect(relay.code, relay.stdout + relay.stderr).toBe(3);
  }, 180_000);

  it('a plain revoke forgets the voided delivery and counts its records as readable', async () => {
    const note = await add('note', 'a note eve was offered');
    const g = await ok([
      ...as('alice'),
      'grant',
      'eve',
      '--types',
      'note',
      '--expires',
      '30d',
      '--sign-only',
      '-o',
      join(c.home, `g${++n}.json`),
    ]);
    expect((await get(g.keyDeliveryCid)).status).toBe(200);
    const rv = await ok([...as('alice'), 'revoke', 'eve']);
    expect(rv.stillHeld.couldRead).toContain(note.id);
    expect((await get(g.keyDeliveryCid)).status).toBe(404);
    // A later re-key still finds the record: the log remembers the delivery (relayed or not).
    const again = await ok([...as('alice'), 'revoke', 'eve', '--rekey']);
    expect(again.rekeyed.map((r: any) => r.id)).toContain(note.id);
  }, 180_000);

  it('an expired sign-only delivery leaves the store at the patient’s next grant; a relayed one stays and opens', async () => {
    const img = await add('imaging', 'a scan grey was offered');
    const expired = await ok([
      ...as('alice'),
      'grant',
      'grey',
      '--types',
      'imaging',
      '--expires',
      '30d',
      '--sign-only',
      '--deadline',
      '1h',
      '-o',
      join(c.home, `g${++n}.json`),
    ]);
    await rpc('evm_increaseTime', [7200]);
    await rpc('evm_mine', []);
    // The patient's next grant (here a sign-only one) settles the log: the expired one goes.
    const relayedFile = join(c.home, `g${++n}.json`);
    const live = await ok([...as('alice'), 'grant', 'grey', '--types', 'imaging', '--expires', '30d', '--sign-only', '-o', relayedFile]);
    expect(live.voidedDeliveries).toEqual([expired.keyDeliveryCid]);
    expect((await get(expired.keyDeliveryCid)).status).toBe(404);
    // A relayed one stays: its grantee reads the keys from it.
    await ok([...as('grey'), 'relay', relayedFile]);
    const next = await ok([...as('alice'), 'grant', 'mal', '--types', 'immunization', '--expires', '1d']);
    expect(next.voidedDeliveries).toEqual([]);
    expect((await get(live.keyDeliveryCid)).status).toBe(200);
    const out = join(c.home, `grey-${img.id}.txt`);
    await ok([...as('grey'), 'fetch', img.id, '-o', out, '--no-receipt']);
    expect(readFileSync(out, 'utf8')).toBe('a scan grey was offered');
  }, 180_000);

  it('the log is encrypted: no record id, CID or provider address is readable in the home', async () => {
    const dir = join(c.home, 'deliveries');
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
    expect(files.length).toBeGreaterThan(0);
    const mal = (await ok(['--home', c.home, 'whois', 'mal'])).address.toLowerCase().slice(2);
    for (const f of files) {
      const text = readFileSync(join(f.parentPath, f.name), 'latin1');
      if (!f.name.endsWith('.age')) continue;
      expect(text.startsWith('age-encryption.org/v1\n')).toBe(true);
      expect(text.toLowerCase()).not.toContain(mal);
    }
  });
});
