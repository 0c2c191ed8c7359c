// The chain itself SIGKILLed in the middle of `batch add` (issue 8 point 18). The devnet's
// anvil dumps its state every 10 s (DEVNET.md), so a chain restarted after a SIGKILL can
// be older than the last block a job saw confirmed: the blocks since the last dump are
// gone, as after a reorg on a real network. The moment is given by a failpoint armed to
// STOP the process (docs/TESTING.md § 3); the older chain is the devnet's own state file,
// copied while it was complete (after `devnet down`, which dumps on SIGTERM).
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRecords } from '../../src/chain/records.js';
import { runStoppedAt } from '../helpers/failpoints.js';
import { type BatchWorld, batchWorld, csv, type Patient } from '../helpers/world.js';

let w: BatchWorld;
let patients: Patient[] = [];
let stateFile = '';

async function devnetPid(): Promise<number> {
  const st = await w.run(['--json', 'devnet', 'status']);
  const pid = st.json?.data?.pid as number | null;
  if (!pid) throw new Error(`devnet not running: ${st.stdout} ${st.stderr}`);
  return pid;
}

/** Every record `dr` authored for the test's patients, as the chain now holds them. */
async function registered(): Promise<Array<{ id: string; cid: string }>> {
  const chain = await w.chain();
  try {
    const out: Array<{ id: string; cid: string }> = [];
    for (const p of patients)
      for (const r of await listRecords(chain, { patient: p.address, author: w.dr })) out.push({ id: r.id.toString(), cid: r.cid });
    return out;
  } finally {
    chain.provider.destroy();
  }
}

beforeAll(async () => {
  w = await batchWorld();
  patients = await w.patients(2);
  // SIGTERM makes anvil write its whole state: this copy holds every block so far.
  expect((await w.run(['devnet', 'down'])).code).toBe(0);
  stateFile = join(w.home, 'devnet', 'state.json');
  copyFileSync(stateFile, `${stateFile}.before-batch`);
  expect((await w.run(['devnet', 'up'])).code).toBe(0);
}, 240_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

describe('chain killed mid-batch', () => {
  it('batch add (MANIFEST.md § 6.2: a resume MUST re-check journaled confirmations against the chain): anvil SIGKILLed after the first transaction confirmed, restarted from an older dump → --resume registers every row exactly once', async () => {
    const dir = join(w.data, 'batch-chain-kill');
    const files = w.files(dir, 6, 64, 'ck');
    const rows = files.map((file, i) => ({ file, patient: patients[i % 2]!.address, type: 'note', title: `ck ${i}` }));
    const manifest = join(dir, 'm.csv');
    writeFileSync(manifest, csv(rows));
    const home = ['--home', w.home, '--profile', 'dr', '--password-file', w.pw];

    const pid = await devnetPid();
    const r = await runStoppedAt(
      [...home, 'batch', 'add', manifest, '--batch-size', '2', '--concurrency', '1'],
      'batch.journal.confirmed:1',
      async () => {
        process.kill(pid, 'SIGKILL');
      },
    );
    expect(r.stopped).toBe(true);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json?.error?.hint).toMatch(/--resume/);

    // The restarted chain predates the batch: the first transaction's two records are gone.
    copyFileSync(`${stateFile}.before-batch`, stateFile);
    const up = await w.run(['--json', 'devnet', 'up']);
    expect(up.code, up.stderr).toBe(0);
    expect(await registered()).toHaveLength(0);

    const resumed = await w.run(['--json', 'batch', 'add', manifest, '--resume', '--batch-size', '2']);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    const counts = resumed.json!.data.counts;
    expect(counts.added).toBe(6);
    expect(counts.alreadyDone).toBe(0);

    // Exactly one record per row, each naming the CID the journal stored for that row.
    const journal = readFileSync(resumed.json!.data.journal as string, 'utf8');
    const storedCids = journal
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.ev === 'stored')
      .map((e) => e.cid as string);
    const onChain = await registered();
    expect(onChain).toHaveLength(6);
    expect(new Set(onChain.map((x) => x.cid))).toEqual(new Set(storedCids));
    const ids = resumed.json!.data.rows.map((x: { id: string }) => x.id).sort();
    expect(ids).toEqual(onChain.map((x) => x.id).sort());
  }, 400_000);
});
