// The store SIGKILLed in the middle of bulk writes (issue 8 point 18): `revoke --rekey`
// after k of n records are re-keyed, and `batch add` after k rows are stored. The store is
// a real Kubo-RPC daemon (test/ipfs/daemon.ts) killed with SIGKILL; the moment is given by
// a failpoint armed to STOP the process there (docs/TESTING.md § 3), so the kill meets the
// run exactly between two records. Afterwards: exit 6, nothing on chain points at bytes the
// store does not hold, and the same command run again (re-key) or `--resume` (batch) on a
// node restarted on the killed one's repo finishes the job without redoing done work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { id as topicOf } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic } from '../helpers/cli.js';
import { runStoppedAt } from '../helpers/failpoints.js';
import { csv } from '../helpers/world.js';
import { startDaemon, type TestDaemon } from '../ipfs/daemon.js';

const c = clinic();
let daemon: TestDaemon;
let dev: { rpcUrl: string; contract: string };
let alice = '';
let n = 0;
// Every command names the node, as a user of a shared Kubo node would.
const as = (who: string) => [...c.as(who), '--ipfs-api', daemon.apiUrl];
const ok = c.ok;

async function restart(): Promise<void> {
  await daemon.kill();
  daemon = await startDaemon({ repo: daemon.repo });
}

/** How many times each record id appears in `event`'s logs so far. */
async function perRecord(event: string, topicIndex: number): Promise<Map<string, number>> {
  const logs = (await c.rpc('eth_getLogs', [
    { address: dev.contract, topics: [topicOf(event)], fromBlock: '0x0', toBlock: 'latest' },
  ])) as Array<{
    topics: string[];
  }>;
  const count = new Map<string, number>();
  for (const l of logs) {
    const rid = BigInt(l.topics[topicIndex]!).toString();
    count.set(rid, (count.get(rid) ?? 0) + 1);
  }
  return count;
}
const rekeys = () => perRecord('RecordRekeyed(uint256,address,uint8,bytes32)', 1);

type Rec = { id: string; type: string; author: string; cid: string };
const records = async (): Promise<Rec[]> => (await ok([...as('alice'), 'record', 'list'])).records;

/** The patient fetches and decrypts `id` from the node (exit 0): its current CID's bytes are stored. */
async function aliceReads(id: string): Promise<string> {
  const out = join(c.home, `read-${id}-${++n}.txt`);
  await ok([...as('alice'), 'fetch', id, '-o', out, '--no-receipt']);
  return readFileSync(out, 'utf8');
}

let keyFile = '';
/** Does house's age identity open the ciphertext `id` now points at? */
async function houseOpens(id: string): Promise<boolean> {
  const out = join(c.home, `raw-${id}-${++n}.age`);
  await ok([...as('alice'), 'fetch', id, '--raw', '-o', out, '--no-receipt']);
  if (!keyFile) {
    keyFile = join(c.home, 'house.key');
    await ok([...as('house'), 'key', 'export', 'house', '--format', 'age-identity', '-o', keyFile]);
  }
  return spawnSync('/usr/bin/age', ['-d', '-i', keyFile, out]).status === 0;
}

beforeAll(async () => {
  const started = startDaemon();
  started.catch(() => {});
  // The shared clinic (test/helpers/world.ts), while the node starts: grey and house
  // (verified) stand for dr and house; alice's grant to grey is made again here so that its
  // key delivery (the type key, CONTRACT.md § Privacy) is on this file's node, not the
  // template's embedded store.
  dev = await c.fromWorld();
  daemon = await started;
  alice = c.address('alice');
  await ok([...as('alice'), 'grant', 'grey', '--types', 'note', '--write', '--expires', '30d']);
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
  await daemon?.stop();
}, 60_000);

describe('the store SIGKILLed in the middle of bulk work', () => {
  it('revoke --rekey: node killed after 2 of 5 re-keys → exit 6, revoke holds, every record stored; run again → the 3 others re-keyed once, house opens none, alice reads all', async () => {
    // Added while house reads lab: each ciphertext is addressed to house's own key.
    await ok([...as('alice'), 'grant', 'house', '--types', 'lab', '--expires', '30d']);
    const texts = ['a', 'b', 'c', 'd', 'e'].map((x) => `lab result ${x}\n`);
    const labs: string[] = [];
    for (const t of texts)
      labs.push(
        (await ok([...as('alice'), 'record', 'add', c.file(`lab-${t.trim().at(-1)}.txt`, t), '--patient', 'alice', '--type', 'lab']))
          .records[0].id,
      );
    for (const id of labs) expect(await houseOpens(id)).toBe(true);
    const before = await rekeys();

    const r = await runStoppedAt([...as('alice'), 'revoke', 'house', '--rekey'], 'rekey.after-record:2', () => daemon.kill());
    expect(r.stopped).toBe(true);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    expect(r.json?.error?.message).toMatch(/2 of 5 record\(s\) re-keyed/);
    expect(r.json?.error?.hint).toMatch(/revoke 0x[0-9a-fA-F]{40} --rekey/);
    // The revoke holds.
    const grants = (await ok([...c.as('alice'), 'grant', 'list'])).grants as Array<{ name: string; live: boolean }>;
    expect(grants.find((g) => g.name === 'house')?.live ?? false).toBe(false);
    const mid = await rekeys();
    const doneFirst = labs.filter((id) => (mid.get(id) ?? 0) > (before.get(id) ?? 0));
    expect(doneFirst).toHaveLength(2);

    // No record points at a CID whose bytes the (restarted) node does not hold.
    await restart();
    for (const [i, id] of labs.entries()) expect(await aliceReads(id)).toBe(texts[i]);

    const retry = await ok([...as('alice'), 'revoke', 'house', '--rekey']);
    const retried = retry.rekeyed.map((x: { id: string }) => x.id);
    expect(retried.sort()).toEqual(labs.filter((id) => !doneFirst.includes(id)).sort());
    const after = await rekeys();
    for (const id of labs) expect((after.get(id) ?? 0) - (before.get(id) ?? 0), `record ${id}`).toBe(1);
    for (const id of labs) expect(await houseOpens(id), `house opens ${id}`).toBe(false);
    for (const [i, id] of labs.entries()) expect(await aliceReads(id)).toBe(texts[i]);
  }, 400_000);

  it('batch add (MANIFEST.md § 5: a stopped job says --resume): node killed after 3 rows stored → exit 6, nothing registered without stored bytes; restart, --resume → every row registered exactly once', async () => {
    // Outside the home: a batch row never names a file under it (MANIFEST.md § 3.1).
    const dir = mkdtempSync(join(tmpdir(), 'emr-batch-store-kill-'));
    const texts = Array.from({ length: 8 }, (_, i) => `batch note ${i} ${Math.random()}\n`);
    const rows = texts.map((t, i) => {
      writeFileSync(join(dir, `n${i}.txt`), t);
      return { file: `n${i}.txt`, patient: alice, type: 'note', title: `note ${i}` };
    });
    const manifest = join(dir, 'm.csv');
    writeFileSync(manifest, csv(rows));
    const mine = async () => (await records()).filter((x) => x.type === 'note');
    expect(await mine()).toHaveLength(0);

    const args = [...as('grey'), 'batch', 'add', manifest, '--batch-size', '2', '--concurrency', '1'];
    const r = await runStoppedAt(args, 'batch.journal.stored:3', () => daemon.kill());
    expect(r.stopped).toBe(true);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    expect(r.json?.error?.hint).toMatch(/--resume/);
    expect(r.json?.data?.counts?.total).toBe(8);
    const registered = await mine();
    expect(registered.length).toBeLessThan(8);

    await restart();
    // Everything registered before the kill points at bytes the node kept.
    for (const x of registered) expect(texts).toContain(await aliceReads(x.id));
    const done = await ok([...as('grey'), 'batch', 'add', manifest, '--resume', '--batch-size', '2']);
    expect(done.counts.added + done.counts.alreadyDone).toBe(8);
    expect(done.counts.alreadyDone).toBe(registered.length);

    // Each row registered exactly once: 8 RecordAdded (record list reads them), each
    // decrypting to a different row's file.
    const all = await mine();
    expect(all).toHaveLength(8);
    const got: string[] = [];
    for (const x of all) got.push(await aliceReads(x.id));
    expect(got.sort()).toEqual([...texts].sort());
  }, 400_000);
});
