// CONTRACT.md § Signed actions through the CLI: a patient with no ETH signs a grant and a
// revoke offline; another account relays them; replays are refused.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, rpc } = c;
const t = { home: c.home };
let recordId = '';

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): house (verified, no grant from alice) is the
  // provider who relays, mallory (registered, NOT verified) the grantee of issue 20 point 2.
  await c.fromWorld();
  const f = join(t.home, 'own-note.txt');
  writeFileSync(f, 'my own note');
  recordId = (await ok([...as('alice'), 'record', 'add', f, '--patient', 'alice', '--type', 'note'])).records[0].id;
}, 120_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('signed actions relayed', () => {
  it('a patient with zero balance grants by signature; the provider relays it and can read', async () => {
    const alice = (await ok(['--home', t.home, 'whois', 'alice'])).address;
    await rpc('anvil_setBalance', [alice, '0x0']);
    const signedFile = join(t.home, 'grant.json');
    const s = await ok([...as('alice'), 'grant', 'house', '--types', 'note', '--expires', '30d', '--sign-only', '-o', signedFile]);
    expect(s.txHashes).toEqual([]);
    expect(s.keysDelivered).toEqual([recordId]);
    expect(await rpc('eth_getBalance', [alice, 'latest'])).toBe('0x0');
    // Not yet sent: no access.
    expect((await emr([...as('house'), '--json', 'fetch', recordId, '-o', join(t.home, 'early')])).code).toBe(3);
    const r = await ok([...as('house'), 'relay', signedFile]);
    expect(r).toMatchObject({ kind: 'grant', patient: alice });
    const f = await ok([...as('house'), 'fetch', recordId, '-o', join(t.home, 'doc-note.txt'), '--no-receipt']);
    expect(f.signatureValid).toBe(true);
    // The same signature again: the nonce is spent.
    const replay = await emr([...as('house'), '--json', 'relay', signedFile]);
    expect(replay.code).toBe(3);
    expect(replay.json?.error?.message).toMatch(/already used/);
  });

  it('a revoke signed offline and relayed ends access', async () => {
    const file = join(t.home, 'revoke.json');
    await ok([...as('alice'), 'revoke', 'house', '--sign-only', '-o', file]);
    await ok([...as('admin'), 'relay', file]);
    expect((await emr([...as('house'), '--json', 'fetch', recordId, '-o', join(t.home, 'late')])).code).toBe(3);
  });

  it('a file that is not a signed action is exit 2; --rekey cannot be signed offline', async () => {
    const bad = join(t.home, 'bad.json');
    writeFileSync(bad, '{"kind":"steal"}');
    expect((await emr([...as('house'), '--json', 'relay', bad])).code).toBe(2);
    expect((await emr([...as('alice'), '--json', 'revoke', 'house', '--rekey', '--sign-only'])).code).toBe(2);
  });
});

describe('issue 20 point 2: a grantee cannot cancel the patient’s signed revoke (CONTRACT.md § Signed actions)', () => {
  it('a grant signed before the revoke, relayed first by the grantee, does not stop the revoke (was BadNonce, exit 3)', async () => {
    const g = join(t.home, 'ned-grant.json');
    const r = join(t.home, 'ned-revoke.json');
    await ok([...as('alice'), 'grant', 'mallory', '--types', 'note', '--expires', '30d', '--sign-only', '-o', g]);
    await ok([...as('alice'), 'revoke', 'mallory', '--sign-only', '-o', r]);
    await ok([...as('mallory'), 'relay', g]);
    expect((await ok([...as('mallory'), 'fetch', recordId, '-o', join(t.home, 'ned-1.txt'), '--no-receipt'])).signatureValid).toBe(true);
    const rv = await emr([...as('admin'), '--json', 'relay', r]);
    expect(rv.code, rv.stdout + rv.stderr).toBe(0);
    expect((await emr([...as('mallory'), '--json', 'fetch', recordId, '-o', join(t.home, 'ned-2.txt')])).code).toBe(3);
  });

  it('a signed revoke does not cancel a grant the patient sent directly after signing it: exit 3, "superseded"', async () => {
    const r = join(t.home, 'ned-revoke-2.json');
    await ok([...as('alice'), 'revoke', 'mallory', '--sign-only', '-o', r]);
    await ok([...as('alice'), 'grant', 'mallory', '--types', 'note', '--expires', '30d']);
    const rv = await emr([...as('mallory'), '--json', 'relay', r]);
    expect(rv.code, rv.stdout + rv.stderr).toBe(3);
    expect(rv.json?.error?.message).toMatch(/superseded/);
    expect((await ok([...as('mallory'), 'fetch', recordId, '-o', join(t.home, 'ned-3.txt'), '--no-receipt'])).signatureValid).toBe(true);
  });
});
