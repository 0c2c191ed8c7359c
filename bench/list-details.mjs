#!/usr/bin/env node
// `npm run bench:list` (issue 12, performance; issue 26 § 4): `record list --details` over
// 1,000 records through the built binary on a private devnet in a temp home, with a cold
// metadata cache (the profile's encrypted cache file removed: every record fetched,
// decrypted, verified) and a warm one (docs/FHIR.md § 6), each unlocked from the passphrase
// file (scrypt in the figure) and through the key agent (no scrypt: what a user who runs
// `emr agent start` sees). Goal (issue 26 § 4): warm ≤ 1 s for 1,000 records (issue 12's
// was ≤ 5 s). Prints figures only; asserts nothing but that every record was listed and read.
//
// Env: BENCH_RECORDS (default 1000), BENCH_RUNS (default 3), BENCH_KEEP=1 keeps the home,
// BENCH_NODE_ARGS (node flags for the measured warm runs, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof').
// Run it on a quiet machine (`uptime` load < 1): the load average is printed with the figures.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, bench, fmt, median } from './lib.mjs';

const N = Number(process.env.BENCH_RECORDS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

const b = bench('list', ['admin', 'pat']);
const home = b.home;
// The manifest and its files live outside the home: a row never names a file under it
// (docs/MANIFEST.md § 3.1).
const data = mkdtempSync(join(tmpdir(), 'emr-bench-list-data-'));
/** `emr` as `who` with --json; wall and CPU (user + sys, GNU time) in ms, and the data. */
const emr = (who, args) => b.emr(who, ['--json', ...args]);
/** A measured run as `pat` (through the agent: no passphrase file), with BENCH_NODE_ARGS. */
async function measured(args, { agent = false } = {}) {
  const auth = agent ? [] : ['--password-file', b.pw.pat];
  const r = await b.run(process.execPath, [...NODE_ARGS, BIN, '--home', home, '--profile', 'pat', ...auth, '--json', ...args]);
  return { ms: r.ms, cpu: r.cpu, data: JSON.parse(r.stdout).data };
}

function dropCache() {
  const dir = join(home, 'cache');
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.startsWith('record-meta-')) rmSync(join(dir, f));
}

async function main() {
  const load0 = loadavg()[0];
  process.stderr.write(`bench: devnet and ${N} records of one patient in ${home}\n`);
  await emr('admin', ['keygen', '--name', 'admin', '--role', 'admin']);
  await emr('pat', ['keygen', '--name', 'pat', '--role', 'patient']);
  await emr('admin', ['devnet', 'up']);
  await emr('pat', ['register']);

  // N small records with titles, added by the patient in one journaled batch.
  const dir = join(data, 'files');
  mkdirSync(dir);
  const rows = ['file,patient,type,title'];
  for (let i = 0; i < N; i++) {
    writeFileSync(join(dir, `r${i}.txt`), `result ${i}\n`);
    rows.push(`files/r${i}.txt,pat,${i % 2 ? 'lab' : 'note'},record ${i}`);
  }
  writeFileSync(join(data, 'manifest.csv'), rows.join('\n') + '\n');
  const added = await emr('pat', ['batch', 'add', join(data, 'manifest.csv'), '--progress', 'none']);
  process.stderr.write(`bench: batch add of ${N} records: ${fmt(added.ms)}\n`);

  const list = ['record', 'list', '--limit', String(N)];
  const check = (r) => {
    const recs = r.data.records;
    if (recs.length !== N) throw new Error(`listed ${recs.length} records, expected ${N}`);
    if (recs.some((x) => 'readable' in x && x.readable !== true)) throw new Error('a record did not open');
    return r;
  };
  const plain = [];
  const cold = [];
  const warm = [];
  const warmAgent = [];
  for (let i = 0; i < RUNS; i++) plain.push(check(await emr('pat', list)));
  for (let i = 0; i < RUNS; i++) {
    dropCache();
    cold.push(check(await emr('pat', [...list, '--details'])));
    // The passphrase file with no agent running (a running agent would answer instead).
    warm.push(check(await measured([...list, '--details'])));
    await emr('pat', ['agent', 'start', '--timeout', '60m']);
    try {
      warmAgent.push(check(await measured([...list, '--details'], { agent: true })));
    } finally {
      await emr(undefined, ['agent', 'stop']).catch(() => {});
    }
  }
  const row = (name, rs, goal) => ({
    figure: name,
    goal: goal ? `≤ ${fmt(goal)}` : '',
    wall: fmt(median(rs.map((r) => r.ms))),
    'CPU (user+sys)': fmt(median(rs.map((r) => r.cpu))),
    met: goal ? (median(rs.map((r) => r.ms)) <= goal ? 'yes' : 'no') : '',
  });
  console.log(
    `\nrecord list over ${N} records (median of ${RUNS}; load average ${load0.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end)`,
  );
  console.table([
    row('record list (no details)', plain, 0),
    row('record list --details, cold cache', cold, 0),
    row('record list --details, warm cache, passphrase file', warm, 0),
    row('record list --details, warm cache, key agent', warmAgent, N === 1000 ? 1000 : 0),
  ]);
  console.log('before (issue 26 § 4): warm cache 3.95 s (passphrase file); the goal is for the warm run without scrypt (key agent)');
}

b.main(async () => {
  try {
    await main();
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
