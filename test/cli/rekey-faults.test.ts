// Issue 8 point 4 and point 18 (re-key): a record the patient cannot open never blocks a
// grant or a re-key (docs/SHARING.md § 2.6, § 3.7), and a re-key cut off by the chain going
// down leaves a consistent state that a retry finishes without redoing done records.
// A hostile provider registers its records by raw contract calls with its own wallet.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { id as topicOf, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRecord } from '../../src/chain/add-record.js';
import { partsToCid } from '../../src/chain/cid.js';
import { connectChain } from '../../src/chain/client.js';
import { openStore } from '../../src/ipfs/store.js';
import { BIN, clinic, emr } from '../helpers/cli.js';
import { pinRpc } from '../helpers/pin-rpc.js';
import { waitFor } from '../helpers/wait.js';

const c = clinic();
const { as, ok, file } = c;
/** alice's lab slot (CONTRACT.md § Privacy): grey holds her type key from its write grant's delivery. */
let LAB = -1;
const REKEYED = topicOf('RecordRekeyed(uint256,address,uint8,bytes32)');
let dev: { rpcUrl: string; contract: string };
let alice = '';
let n = 0;
let bad: string[] = [];

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): grey (verified; alice grants it lab,note
  // --write 1y) is the hostile provider, house (verified, no grant) the grantee revoked.
  dev = await c.fromWorld();
  pinRpc(dev.rpcUrl);
  alice = c.address('alice');
  LAB = (await c.slotsOf('alice')).slotOf('lab');
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
});

async function addLab(text: string): Promise<string> {
  return (await ok([...as('alice'), 'record', 'add', file(`lab${++n}.txt`, text), '--patient', 'alice', '--type', 'lab'])).records[0].id;
}

/** grey, with its own key, registers CIDs the CLI would never produce. */
async function hostileRecords(): Promise<string[]> {
  const json = readFileSync(join(c.home, 'grey.json'), 'utf8');
  const wallet = await Wallet.fromEncryptedJson(json, 'pass-for-grey-123');
  const chain = await connectChain({ rpcUrl: dev.rpcUrl, contract: dev.contract, signer: wallet, pollingIntervalMs: 50 });
  const store = await openStore({ home: c.home });
  const garbage = await store.addBytes(Buffer.from('this is not an age file\n'));
  await store.close();
  const notAge = await addRecord(chain, { patient: alice, recordType: LAB, cid: garbage.cid });
  // A CID no store holds.
  const missing = await addRecord(chain, {
    patient: alice,
    recordType: LAB,
    cid: partsToCid({ cidCodec: 0x55, digest: '0x' + 'ab'.repeat(32) }),
  });
  chain.provider.destroy();
  return [notAge.id.toString(), missing.id.toString()];
}

let keyFile = '';
async function houseOpens(id: string): Promise<boolean> {
  const out = join(c.home, `raw-${id}-${++n}.age`);
  await ok([...as('alice'), 'fetch', id, '--raw', '-o', out, '--no-receipt']);
  if (!keyFile) {
    keyFile = join(c.home, 'house.key');
    await ok([...as('house'), 'key', 'export', 'house', '--format', 'age-identity', '-o', keyFile]);
  }
  return spawnSync('/usr/bin/age', ['-d', '-i', keyFile, out]).status === 0;
}

async function rekeyLogs(): Promise<Map<string, number>> {
  const logs = (await c.rpc('eth_getLogs', [{ address: dev.contract, topics: [REKEYED], fromBlock: '0x0', toBlock: 'latest' }])) as Array<{
    topics: string[];
  }>;
  const count = new Map<string, number>();
  for (const l of logs) {
    const rid = BigInt(l.topics[1]!).toString();
    count.set(rid, (count.get(rid) ?? 0) + 1);
  }
  return count;
}

describe('records the patient cannot open (SHARING.md § 2.6, § 3.7)', () => {
  it('MUST NOT block a grant or a re-key: they are skipped and reported, the rest completes', async () => {
    const good = [await addLab('one'), await addLab('two')];
    await ok([...as('grey'), 'key', 'export', 'grey', '--format', 'keystore-v3', '-o', join(c.home, 'grey.json')]);
    bad = await hostileRecords();
    good.push(await addLab('three'));

    const g = await emr([...as('alice'), 'grant', 'house', '--types', 'lab', '--expires', '30d']);
    expect(g.code, g.stderr + g.stdout).toBe(0);
    for (const id of bad) expect(g.stderr).toContain(`record ${id} skipped`);
    const gj = await ok([...as('alice'), 'grant', 'house', '--types', 'lab', '--expires', '30d']);
    expect(gj.skipped.map((s: any) => s.id).sort()).toEqual([...bad].sort());
    for (const s of gj.skipped) expect(s.reason).toBeTruthy();
    expect(gj.keysDelivered).toEqual(expect.arrayContaining(good));
    const out = join(c.home, 'house-one.txt');
    await ok([...as('house'), 'fetch', good[0]!, '-o', out, '--no-receipt']);
    expect(readFileSync(out, 'utf8')).toBe('one');

    const rv = await ok([...as('alice'), 'revoke', 'house', '--rekey']);
    expect(rv.rekeyed.map((r: any) => r.id).sort()).toEqual([...good].sort());
    expect(rv.skipped.map((s: any) => s.id).sort()).toEqual([...bad].sort());
    for (const id of good) expect(await houseOpens(id)).toBe(false);
  }, 240_000);

  it('MUST leave a consistent state when the chain goes down mid re-key; a retry finishes without redoing done records', async () => {
    await ok([...as('alice'), 'grant', 'house', '--types', 'lab', '--expires', '30d']);
    for (let i = 0; i < 5; i++) await addLab(`more ${i}`);
    const labs: string[] = (await ok([...as('alice'), 'record', 'list'])).records
      .filter((r: any) => r.type === 'lab' && !bad.includes(r.id))
      .map((r: any) => r.id);
    const before = await rekeyLogs();
    const child = spawn(process.execPath, [BIN, ...as('alice'), '--json', 'revoke', 'house', '--rekey'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    let exited = false;
    void done.then(() => (exited = true));
    // Take the chain down (SIGTERM: anvil keeps its state) once the first re-key landed.
    await waitFor(async () => exited || [...(await rekeyLogs().catch(() => before))].some(([rid, k]) => k > (before.get(rid) ?? 0)), {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: 'the first re-key to land',
    });
    await c.devnetDown();
    const code = await done;
    expect([0, 6]).toContain(code);
    pinRpc((await c.devnetUp('admin')).rpcUrl);
    const mid = await rekeyLogs();
    const doneFirst = [...mid].filter(([rid, k]) => k > (before.get(rid) ?? 0)).map(([rid]) => rid);
    // Consistent: the records re-keyed before the cut, and one that was not, open for the patient.
    const notDone = labs.find((rid) => !doneFirst.includes(rid));
    for (const rid of [...doneFirst, ...(notDone ? [notDone] : [])])
      await ok([...as('alice'), 'fetch', rid, '-o', join(c.home, `mid-${rid}.bin`), '--no-receipt']);
    const retry = await ok([...as('alice'), 'revoke', 'house', '--rekey']);
    const retried = retry.rekeyed.map((r: any) => r.id);
    for (const rid of doneFirst) expect(retried).not.toContain(rid);
    const after = await rekeyLogs();
    expect(retry.skipped.map((s: any) => s.id).sort()).toEqual([...bad].sort());
    for (const rid of labs) {
      // Each record re-keyed exactly once for this revoke (none redone, none left).
      expect((after.get(rid) ?? 0) - (before.get(rid) ?? 0)).toBe(1);
    }
    for (const rid of [labs[0]!, labs.at(-1)!]) expect(await houseOpens(rid)).toBe(false);
  }, 600_000);

  it('revoke summarises long id lists for people (count, first few, "use --json for all")', async () => {
    await ok([...as('alice'), 'grant', 'house', '--types', 'lab', '--expires', '30d']);
    const all: string[] = (await ok([...as('alice'), 'record', 'list'])).records.filter((r: any) => r.type === 'lab').map((r: any) => r.id);
    expect(all.length).toBeGreaterThan(6);
    const r = await emr([...as('alice'), 'revoke', 'house']);
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes('records they could read'))!;
    expect(line).toMatch(new RegExp(`${all.length}: ${all.slice(0, 5).join(', ')}, … \\(use --json for all\\)`));
    expect(line).not.toContain(`, ${all[5]}`);
  }, 120_000);
});
