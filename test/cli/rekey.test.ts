// Issue 8 points 1, 4 and 18 (re-key): `revoke --rekey` covers every record whose current
// ciphertext the revoked party can open (docs/SHARING.md § 3.5), keeps record-scoped
// readers (§ 3.6), skips records it cannot open and is resumable (§ 3.7). Through the
// built binary on a devnet; the revoked party's key is tried with the real `age` CLI.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic } from '../helpers/cli.js';
import { pinRpc } from '../helpers/pin-rpc.js';
import { serveSite } from '../helpers/serve.js';

const c = clinic();
const { as, ok, file } = c;
let n = 0;

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): wilson (verified, no grant from alice) is the
  // party that gets revoked, mallory (verified here: the world leaves her unverified) the
  // record-scoped reader, house (verified, no grant) the plain-revoked one. grey is not used:
  // the world's lab,note grant to grey would make a record-scoped reader of grey pointless.
  pinRpc((await c.fromWorld()).rpcUrl);
  await ok([...as('admin'), 'admin', 'verify', 'mallory']);
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
});

async function add(type: string, text: string): Promise<string> {
  return (await ok([...as('alice'), 'record', 'add', file(`r${++n}.txt`, text), '--patient', 'alice', '--type', type])).records[0].id;
}

/** The record's current ciphertext, fetched raw by the patient. */
async function raw(id: string): Promise<string> {
  const out = join(c.home, `raw-${id}-${++n}.age`);
  await ok([...as('alice'), 'fetch', id, '--raw', '-o', out, '--no-receipt']);
  return out;
}

/** Whether `who`'s age identity (exported from its keystore) opens the file with the real age CLI. */
const keys: Record<string, string> = {};
async function opensWith(who: string, ageFile: string): Promise<boolean> {
  if (!keys[who]) {
    keys[who] = join(c.home, `${who}.key`);
    await ok([...as(who), 'key', 'export', who, '--format', 'age-identity', '-o', keys[who]!]);
  }
  return spawnSync('/usr/bin/age', ['-d', '-i', keys[who]!, ageFile]).status === 0;
}

describe('revoke --rekey: scope is what the revoked party can open (SHARING.md § 3.5)', () => {
  it('MUST re-key a record encrypted to the party under a wider grant that was later narrowed; record-scoped readers keep access (§ 3.6)', async () => {
    await ok([...as('alice'), 'grant', 'wilson', '--types', 'lab,note', '--expires', '30d']);
    const note = await add('note', 'wilson may read this note');
    const lab = await add('lab', 'wilson may read this lab');
    expect(await opensWith('wilson', await raw(note))).toBe(true);
    await ok([...as('alice'), 'grant', 'mallory', '--records', `${note},${lab}`, '--expires', '30d']);
    // Narrow wilson's grant to lab: the note stays encrypted to wilson.
    await ok([...as('alice'), 'grant', 'wilson', '--types', 'lab', '--expires', '30d']);
    const rv = await ok([...as('alice'), 'revoke', 'wilson', '--rekey']);
    expect(rv.rekeyed.map((r: any) => r.id).sort()).toEqual([note, lab].sort());
    for (const id of [note, lab]) {
      const ct = await raw(id);
      expect(await opensWith('wilson', ct)).toBe(false);
      expect(await opensWith('alice', ct)).toBe(true);
      // mallory's record-scoped grant survives the re-key.
      const out = join(c.home, `mallory-${id}.txt`);
      await ok([...as('mallory'), 'fetch', id, '-o', out, '--no-receipt']);
      expect(readFileSync(out, 'utf8')).toMatch(/^wilson may read this/);
    }
  }, 180_000);

  it('MUST re-key after a plain revoke followed later by revoke --rekey; a second run re-keys nothing', async () => {
    await ok([...as('alice'), 'grant', 'house', '--types', 'note', '--expires', '30d']);
    const note = await add('note', 'house may read this');
    await ok([...as('alice'), 'revoke', 'house']);
    const later = await ok([...as('alice'), 'revoke', 'house', '--rekey']);
    // The note added under the grant, and any older note whose key the grant delivered.
    expect(later.rekeyed.map((r: any) => r.id)).toContain(note);
    for (const r of later.rekeyed) expect(await opensWith('house', await raw(r.id))).toBe(false);
    const again = await ok([...as('alice'), 'revoke', 'house', '--rekey']);
    expect(again.rekeyed).toEqual([]);
  }, 180_000);

  it('the replaced ciphertext leaves the store: `store serve` no longer hands it to the revoked party, who reads its CID in the chain history (§ 3.3)', async () => {
    await ok([...as('alice'), 'grant', 'mallory', '--types', 'imaging', '--expires', '30d']);
    const id = await add('imaging', 'mallory may read this scan');
    const site = await serveSite(['--home', c.home]);
    try {
      const get = async (cid: string) => (await fetch(`${site.url}/ipfs/${cid}?format=raw`)).status;
      const before = (await ok([...as('alice'), 'record', 'list', '--patient', 'alice'])).records.find((r: any) => r.id === id).cid;
      expect(await get(before)).toBe(200);
      const rv = await ok([...as('alice'), 'revoke', 'mallory', '--rekey']);
      const mine = rv.rekeyed.find((r: any) => r.id === id);
      expect(mine.oldCid).toBe(before);
      expect(await get(mine.oldCid)).toBe(404);
      expect(await get(mine.newCid)).toBe(200);
      // And the new copy is still whole for the patient.
      expect(await opensWith('alice', await raw(id))).toBe(true);
    } finally {
      await site.stop();
    }
  }, 180_000);
});
