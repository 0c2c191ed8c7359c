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
  await c.keygen([
    ['admin', 'admin'],
    ['alice', 'patient'],
    ['mal', 'provider'],
    ['grey', 'provider'],
    ['house', 'provider'],
  ]);
  pinRpc((await c.devnetUp('admin')).rpcUrl);
  await ok([...as('alice'), 'register']);
  for (const p of ['mal', 'grey', 'house']) {
    await ok([...as(p), 'register', '--role', 'provider']);
    await ok([...as('admin'), 'admin', 'verify', p]);
  }
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
    await ok([...as('alice'), 'grant', 'mal', '--types', 'lab,note', '--expires', '30d']);
    const note = await add('note', 'mal may read this note');
    const lab = await add('lab', 'mal may read this lab');
    expect(await opensWith('mal', await raw(note))).toBe(true);
    await ok([...as('alice'), 'grant', 'grey', '--records', `${note},${lab}`, '--expires', '30d']);
    // Narrow mal's grant to lab: the note stays encrypted to mal.
    await ok([...as('alice'), 'grant', 'mal', '--types', 'lab', '--expires', '30d']);
    const rv = await ok([...as('alice'), 'revoke', 'mal', '--rekey']);
    expect(rv.rekeyed.map((r: any) => r.id).sort()).toEqual([note, lab].sort());
    for (const id of [note, lab]) {
      const ct = await raw(id);
      expect(await opensWith('mal', ct)).toBe(false);
      expect(await opensWith('alice', ct)).toBe(true);
      // grey's record-scoped grant survives the re-key.
      const out = join(c.home, `grey-${id}.txt`);
      await ok([...as('grey'), 'fetch', id, '-o', out, '--no-receipt']);
      expect(readFileSync(out, 'utf8')).toMatch(/^mal may read this/);
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
    await ok([...as('alice'), 'grant', 'grey', '--types', 'imaging', '--expires', '30d']);
    const id = await add('imaging', 'grey may read this scan');
    const site = await serveSite(['--home', c.home]);
    try {
      const get = async (cid: string) => (await fetch(`${site.url}/ipfs/${cid}?format=raw`)).status;
      const before = (await ok([...as('alice'), 'record', 'list', '--patient', 'alice'])).records.find((r: any) => r.id === id).cid;
      expect(await get(before)).toBe(200);
      const rv = await ok([...as('alice'), 'revoke', 'grey', '--rekey']);
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
