// Issue 4 § Tests: the record flow's negatives, end to end through the built binary on a
// devnet in a temp home, each actor with its own passphrase file.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';
import { failpoints } from '../helpers/failpoints.js';

const c = clinic();
const { as, ok, rpc, file } = c;
const t = { home: c.home };
let contract = '';

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): alice registered; grey and house verified,
  // mallory registered but not verified; alice grants grey lab,note --write 1y.
  contract = (await c.fromWorld()).contract;
}, 180_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('record add / fetch negatives', () => {
  it('an unverified provider cannot add (exit 3) and nothing is stored or registered', async () => {
    const before = (await ok([...as('alice'), 'record', 'list'])).records.length;
    const r = await emr([...as('mallory'), '--json', 'record', 'add', file('m.txt', 'fake'), '--patient', 'alice', '--type', 'lab']);
    expect(r.code).toBe(3);
    expect(r.json?.error?.code).toBe('ACCESS_DENIED');
    expect((await ok([...as('alice'), 'record', 'list'])).records.length).toBe(before);
  });

  it('a revoked provider cannot fetch a record added after the revoke (exit 3); --rekey leaves their key useless', async () => {
    const first = (await ok([...as('grey'), 'record', 'add', file('lab1.txt', 'lab one'), '--patient', 'alice', '--type', 'lab']))
      .records[0];
    await ok([...as('alice'), 'grant', 'house', '--types', 'lab', '--expires', '30d']);
    const f1 = await ok([...as('house'), 'fetch', first.id, '-o', join(t.home, 'house-lab1.txt')]);
    expect(f1.signatureValid).toBe(true);
    const rv = await ok([...as('alice'), 'revoke', 'house', '--rekey']);
    expect(rv.stillHeld.fetched).toContain(first.id);
    expect(rv.rekeyed.map((x: any) => x.id)).toContain(first.id);
    const later = (await ok([...as('grey'), 'record', 'add', file('lab2.txt', 'lab two'), '--patient', 'alice', '--type', 'lab']))
      .records[0];
    for (const id of [first.id, later.id]) {
      const r = await emr([...as('house'), '--json', 'fetch', id, '-o', join(t.home, `house-${id}.again`)]);
      expect(r.code).toBe(3);
      expect(() => statSync(join(t.home, `house-${id}.again`))).toThrow();
    }
    // The new ciphertext (fetched raw by the patient) does not open with house's identity.
    const raw = join(t.home, 'lab1-rekeyed.age');
    // --raw --no-receipt needs no key: no passphrase source at all.
    await ok(['--home', t.home, '--profile', 'alice', 'fetch', first.id, '--raw', '-o', raw, '--no-receipt']);
    // Not addressed to house any more: ACCESS_DENIED (exit 3), not INTEGRITY (issue 21 § 5).
    const d = await emr([...as('house'), '--json', 'decrypt', raw, '-o', join(t.home, 'nope.txt')]);
    expect(d.code).toBe(3);
    expect(d.json?.error?.code).toBe('ACCESS_DENIED');
    // ... while the patient and the author still read it, signature intact.
    expect((await ok([...as('alice'), 'decrypt', raw, '-o', join(t.home, 'lab1-alice.txt')])).author).toBe(
      (await ok(['--home', t.home, 'whois', 'grey'])).address,
    );
    expect(readFileSync(join(t.home, 'lab1-alice.txt'), 'utf8')).toBe('lab one');
  });

  it('FORMAT.md § 6: a reader who got the key by delivery keeps a --raw copy that decrypt and verify open later', async () => {
    // Issue 21 § 5: a pharmacist granted after the prescription was added is not among its
    // recipients; before, `decrypt rx.age` of their own --raw copy was exit 4 "no identity matches".
    const rx = (await ok([...as('grey'), 'record', 'add', file('rx.txt', 'amoxicillin 500 mg'), '--patient', 'alice', '--type', 'lab']))
      .records[0];
    await ok([...as('alice'), 'grant', 'wilson', '--types', 'lab', '--expires', '30d']);
    const copy = join(t.home, 'rx.age');
    const f = await ok([...as('wilson'), 'fetch', rx.id, '--raw', '-o', copy]);
    // The copy is the CID-verified ciphertext, unchanged; the delivered key sits beside it, 0600.
    expect(createHash('sha256').update(readFileSync(copy)).digest('hex')).toBe(f.sha256);
    expect(f.keyFile).toBe(`${copy}.key`);
    expect(statSync(`${copy}.key`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${copy}.key`, 'latin1')).toMatch(/^age-encryption\.org\/v1\n/);
    const d = await ok([...as('wilson'), 'decrypt', copy, '-o', join(t.home, 'rx-later.txt')]);
    expect(readFileSync(join(t.home, 'rx-later.txt'), 'utf8')).toBe('amoxicillin 500 mg');
    expect(d.author).toBe((await ok(['--home', t.home, 'whois', 'grey'])).address);
    const v = await ok([...as('wilson'), 'verify', copy]);
    expect(v).toMatchObject({ signatureValid: true, recordId: rx.id, authorAuthorized: true });
    // Someone else holding both files: not addressed to them (exit 3), no output.
    const m = await emr([...as('mallory'), '--json', 'decrypt', copy, '-o', join(t.home, 'rx-mallory.txt')]);
    expect(m.code).toBe(3);
    expect(m.json?.error?.code).toBe('ACCESS_DENIED');
    expect(() => statSync(join(t.home, 'rx-mallory.txt'))).toThrow();
    // Without its key the copy is not addressed to wilson: exit 3, with a hint naming the key file.
    const bare = join(t.home, 'rx-bare.age');
    writeFileSync(bare, readFileSync(copy));
    const b = await emr([...as('wilson'), '--json', 'decrypt', bare, '-o', join(t.home, 'rx-bare.txt')]);
    expect(b.code).toBe(3);
    expect(b.json?.error?.hint).toMatch(/rx-bare\.age\.key/);
  });

  it('record add and record list remember the ids for shell completion, which offers them with no chain call (issue 22 point 6)', async () => {
    const idsFile = join(t.home, 'completion', 'record-ids');
    const rec = (await ok([...as('grey'), 'record', 'add', file('ids.txt', 'for completion'), '--patient', 'alice', '--type', 'lab']))
      .records[0];
    expect(readFileSync(idsFile, 'utf8').split('\n')[0]).toBe(rec.id);
    expect(statSync(idsFile).mode & 0o777).toBe(0o600);
    const listed = (await ok([...as('alice'), 'record', 'list'])).records.map((r: any) => String(r.id));
    const remembered = readFileSync(idsFile, 'utf8').trim().split('\n');
    expect(remembered.length).toBeLessThanOrEqual(100);
    for (const id of listed.slice(-5)) expect(remembered).toContain(id);
    const script = (await emr(['completion', 'bash'])).stdout;
    const res = spawnSync(
      'bash',
      ['-c', `${script}\nCOMP_WORDS=(emr --home '${t.home}' fetch ''); COMP_CWORD=4; _emr; printf '%s\\n' "\${COMPREPLY[@]}"`],
      // No RPC reachable from the shell: the ids come from the home only.
      { encoding: 'utf8', timeout: 30_000, env: { PATH: '/usr/bin:/bin', HOME: t.home } },
    );
    expect(res.stdout.split('\n')).toContain(rec.id);
  });

  it('only a patient can revoke (exit 3), and nothing is sent', async () => {
    const r = await emr([...as('mallory'), '--json', 'revoke', 'grey']);
    expect(r.code).toBe(3);
    expect(r.json?.error?.message).toMatch(/only a registered patient/);
  });

  it('an expired grant is refused (exit 3)', async () => {
    const rec = (await ok([...as('grey'), 'record', 'add', file('note1.txt', 'a note'), '--patient', 'alice', '--type', 'note']))
      .records[0];
    await ok([...as('alice'), 'grant', 'house', '--types', 'note', '--expires', '1h']);
    await ok([...as('house'), 'fetch', rec.id, '-o', join(t.home, 'note-ok.txt'), '--no-receipt']);
    await rpc('evm_increaseTime', [7200]);
    await rpc('evm_mine');
    const r = await emr([...as('house'), '--json', 'fetch', rec.id, '-o', join(t.home, 'note-late.txt')]);
    expect(r.code).toBe(3);
  });

  it('a corrupted block in the store → exit 4 and no output file', async () => {
    const rec = (await ok([...as('grey'), 'record', 'add', file('lab3.txt', 'x'.repeat(5000)), '--patient', 'alice', '--type', 'lab']))
      .records[0];
    // The embedded store keeps one file per block; this record is one raw block, so the file
    // to damage is the one whose sha2-256 is the CID's digest.
    const blocks: string[] = [];
    const walk = (d: string) =>
      readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(join(d, e.name)) : blocks.push(join(d, e.name))));
    walk(join(t.home, 'ipfs', 'blocks'));
    const want = Buffer.from(CID.parse(rec.cid).multihash.digest).toString('hex');
    const target = blocks.find((b) => createHash('sha256').update(readFileSync(b)).digest('hex') === want);
    expect(target).toBeDefined();
    const bytes = readFileSync(target!);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0x01;
    writeFileSync(target!, bytes);
    const out = join(t.home, 'corrupt-out.txt');
    const r = await emr([...as('alice'), '--json', 'fetch', rec.id, '-o', out]);
    expect(r.code).toBe(4);
    expect(r.json?.error?.code).toBe('INTEGRITY');
    expect(() => statSync(out)).toThrow();
  });

  it('the IPFS endpoint down → exit 6 and nothing registered', async () => {
    const before = (await ok([...as('alice'), 'record', 'list'])).records.length;
    const r = await emr([
      ...as('grey'),
      '--json',
      '--ipfs-api',
      'http://127.0.0.1:9',
      'record',
      'add',
      file('lab4.txt', 'y'),
      '--patient',
      'alice',
      '--type',
      'lab',
    ]);
    expect(r.code).toBe(6);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    expect((await ok([...as('alice'), 'record', 'list'])).records.length).toBe(before);
  });

  it('the chain down → exit 6 with a hint', async () => {
    const r = await emr([...as('alice'), '--json', '--rpc-url', 'http://127.0.0.1:9', '--contract', contract, 'record', 'list']);
    expect(r.code).toBe(6);
    expect(r.json?.error?.hint).toBeTruthy();
  });

  it('a crash after storing but before registering: the retry registers once, reusing the stored CID', async () => {
    const f = file('lab5.txt', 'retry me');
    const before = (await ok([...as('alice'), 'record', 'list'])).records.length;
    // Failpoint record-add.after-store (docs/TESTING.md § Failpoints): SIGKILL right after the
    // ciphertext is stored and pinned and the pending entry written, before any transaction.
    // EMR_FAILPOINTS alone is inert (a stray variable never kills a user's run): this add
    // completes, and is counted below. Without EMR_TEST=1 grey's test-cost keystore is refused
    // (KEYSTORE.md § 2.6), so the key agent holds grey's key for this one run.
    expect((await emr([...as('grey'), '--json', 'agent', 'start'])).code).toBe(0);
    let inert: Awaited<ReturnType<typeof emr>>;
    try {
      inert = await emr([...as('grey'), '--json', 'record', 'add', file('lab5b.txt', 'inert'), '--patient', 'alice', '--type', 'lab'], {
        env: { EMR_FAILPOINTS: 'record-add.after-store', EMR_TEST: undefined, EMR_TEST_KDF: undefined },
      });
    } finally {
      await emr([...as('grey'), '--json', 'agent', 'stop']);
    }
    expect(inert.code, inert.stderr).toBe(0);
    const crashed = await emr([...as('grey'), '--json', 'record', 'add', f, '--patient', 'alice', '--type', 'lab'], {
      env: failpoints('record-add.after-store'),
    });
    expect(crashed.code).toBe(128 + 9);
    expect((await ok([...as('alice'), 'record', 'list'])).records.length).toBe(before + 1);
    const pending = readdirSync(join(t.home, 'pending'));
    expect(pending).toHaveLength(1);
    const stored = JSON.parse(readFileSync(join(t.home, 'pending', pending[0]!), 'utf8'));
    const a = (await ok([...as('grey'), 'record', 'add', f, '--patient', 'alice', '--type', 'lab'])).records[0];
    expect(a.cid).toBe(stored.cid);
    expect(readdirSync(join(t.home, 'pending'))).toHaveLength(0);
    expect((await ok([...as('alice'), 'record', 'list'])).records.length).toBe(before + 2);
  });
});
