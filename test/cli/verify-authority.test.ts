// Issue 20 point 5 (docs/CLI.md § Records): the date inside a bundle is the author's own
// word. A provider suspended now signed a file "before" the suspension; `emr verify <file>`
// took that date and said verified-provider. A registered record is judged at its RecordAdded
// block, a loose file NOW (or at a time the caller trusts, --at), and the output says which.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, file } = c;
let loose = '';
let registered = '';
let recordId = '';
let beforeSuspension = '';

beforeAll(async () => {
  // The shared clinic: grey is a verified provider alice granted note --write.
  await c.fromWorld();
  loose = join(c.home, 'loose.age');
  await ok([
    ...as('grey'),
    'encrypt',
    file('n1.txt', 'loose note\n'),
    '--to',
    'alice',
    '--patient',
    'alice',
    '--type',
    'note',
    '-o',
    loose,
  ]);
  const added = await ok([...as('grey'), 'record', 'add', file('n2.txt', 'registered note\n'), '--patient', 'alice', '--type', 'note']);
  recordId = String(added.records?.[0]?.id ?? added.id);
  registered = join(c.home, 'registered.age');
  await ok([...as('alice'), 'fetch', recordId, '--raw', '-o', registered]);
  // 20 minutes pass on the chain: the file's own date is now 20 minutes before the suspension.
  await c.rpc('evm_increaseTime', [1200]);
  await c.rpc('evm_mine');
  const block = (await c.rpc('eth_getBlockByNumber', ['latest', false])) as { timestamp: string };
  beforeSuspension = new Date(Number(BigInt(block.timestamp)) * 1000).toISOString();
  await c.rpc('evm_increaseTime', [60]);
  await ok([...as('admin'), 'admin', 'suspend', 'grey']);
}, 300_000);

afterAll(async () => {
  await c.devnetDown();
});

describe('emr verify judges authority at a trusted time (issue 20 point 5)', () => {
  it('a loose file signed by a provider suspended since is judged NOW: exit 4, authorityAt "now", in JSON and in words', async () => {
    const r = await emr([...as('alice'), '--json', 'verify', loose]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.json!.ok).toBe(false);
    expect((r.json as any).data).toMatchObject({
      authorAuthorized: false,
      authority: 'suspended-at-the-time',
      authorityAt: 'now',
      authorityTime: null,
      recordId: null,
    });
    const h = await emr([...as('alice'), 'verify', loose]);
    expect(h.code).toBe(4);
    expect(h.stdout + h.stderr).toMatch(/now \(a loose file/);
    expect(h.stdout + h.stderr).not.toMatch(/verified-provider/);
  });

  it('--at a trusted time before the suspension: verified, authorityAt "given"', async () => {
    const r = await emr([...as('alice'), '--json', 'verify', loose, '--at', beforeSuspension]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.data).toMatchObject({
      authorAuthorized: true,
      authority: 'verified-provider',
      authorityAt: 'given',
      authorityTime: beforeSuspension,
    });
    const bad = await emr([...as('alice'), '--json', 'verify', loose, '--at', 'yesterday']);
    expect(bad.code).toBe(2);
  });

  it('a registered record, by id or as a file with its bytes, is judged at its RecordAdded block', async () => {
    const byId = await emr([...as('alice'), '--json', 'verify', recordId]);
    expect(byId.code, byId.stderr).toBe(0);
    expect(byId.json!.data).toMatchObject({ authority: 'verified-provider', authorityAt: 'record-added', recordId });
    const byFile = await emr([...as('alice'), '--json', 'verify', registered]);
    expect(byFile.code, byFile.stderr).toBe(0);
    expect(byFile.json!.data).toMatchObject({ authority: 'verified-provider', authorityAt: 'record-added', recordId });
    expect(byFile.json!.data.authorityTime).toBe(byId.json!.data.authorityTime);
  });
});
