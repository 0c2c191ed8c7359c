#!/usr/bin/env node
// `npm run bench:records` (issue 4 § 5): `record add` and `fetch` latency through the built
// binary on a private devnet in a temp home, for a 10 KB and a 100 MB record, against the
// stock `age` CLI plus `sha256sum` on the same files in the same run. The emr time is then
// split into fixed per-command costs (process start-up, keystore unlock ≈ one scrypt
// N=2^17, a chain read, the read-receipt transaction) and a per-byte rate, so the reader
// sees what a bigger file costs and what every command pays anyway.
//
// Env: BENCH_SMALL_RUNS (default 5), BENCH_LARGE_RUNS (default 3), BENCH_LARGE_MB
// (default 100), BENCH_KEEP=1 keeps the temp home.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, writeSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes, scrypt } from 'node:crypto';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'emr.js');
const AGE = process.env.AGE_BIN ?? 'age';

const SMALL_RUNS = Number(process.env.BENCH_SMALL_RUNS ?? 5);
const LARGE_RUNS = Number(process.env.BENCH_LARGE_RUNS ?? 3);
const SIZES = [
  { label: '10 KB', bytes: 10 * 1000, runs: SMALL_RUNS },
  { label: `${Number(process.env.BENCH_LARGE_MB ?? 100)} MB`, bytes: Number(process.env.BENCH_LARGE_MB ?? 100) * 1000 * 1000, runs: LARGE_RUNS },
];

const home = mkdtempSync(join(tmpdir(), 'emr-bench-records-'));
const pw = {};
for (const who of ['admin', 'pat', 'dr']) {
  pw[who] = join(home, `${who}.pw`);
  writeFileSync(pw[who], `bench-pass-${who}-123\n`, { mode: 0o600 });
}

/** Runs a process to completion; resolves with its wall time in ms (spawn to exit). */
function run(cmd, args, { stdout } = {}) {
  return new Promise((resolve, reject) => {
    const out = [];
    let err = '';
    const t0 = performance.now();
    const fd = stdout ? openSync(stdout, 'w') : undefined;
    const child = spawn(cmd, args, { stdio: ['ignore', fd ?? 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    child.stdout?.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (fd !== undefined) closeSync(fd);
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} → exit ${code}: ${err}${Buffer.concat(out)}`));
      resolve({ ms, stdout: Buffer.concat(out).toString('utf8') });
    });
  });
}

/** `emr` as `who`, passphrase from that actor's file; parses the --json document. */
async function emr(who, args) {
  const base = ['--home', home, ...(who ? ['--profile', who, '--password-file', pw[who]] : [])];
  const r = await run(process.execPath, [BIN, ...base, ...args]);
  let data;
  if (args.includes('--json')) data = JSON.parse(r.stdout).data;
  return { ms: r.ms, data };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

async function times(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await fn(i));
  return out;
}

/** Random bytes written in 1 MiB pieces (no 100 MB buffer in this process). */
function writeRandomFile(path, bytes) {
  const fd = openSync(path, 'w');
  for (let left = bytes; left > 0; left -= 1 << 20) writeSync(fd, randomBytes(Math.min(left, 1 << 20)));
  closeSync(fd);
}

function scryptOnce() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    scrypt('bench', randomBytes(32), 64, { N: 1 << 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 }, (e) => (e ? reject(e) : resolve(performance.now() - t0)));
  });
}

async function main() {
  const started = performance.now();
  const load0 = loadavg()[0];
  process.stderr.write(`bench: devnet, a patient and a verified provider with a write grant in ${home}\n`);
  const recipient = {};
  for (const [who, role] of [['admin', 'admin'], ['pat', 'patient'], ['dr', 'provider']]) {
    recipient[who] = (await emr(who, ['--json', 'keygen', '--name', who, '--role', role])).data.recipient;
  }
  await emr('admin', ['--json', 'devnet', 'up']);
  await emr('pat', ['--json', 'register']);
  await emr('dr', ['--json', 'register', '--role', 'provider']);
  await emr('admin', ['--json', 'admin', 'verify', 'dr']);
  await emr('pat', ['--json', 'grant', 'dr', '--types', 'lab', '--write', '--expires', '1y']);
  // The reference decrypts with the patient's own identity, exported in the age format.
  const ageKey = join(home, 'pat.agekey');
  await emr('pat', ['--json', 'key', 'export', 'pat', '--format', 'age-identity', '-o', ageKey]);

  // Fixed costs every command pays, measured on their own.
  process.stderr.write('bench: fixed costs\n');
  const fixed = {
    startup: median(await times(SMALL_RUNS, async () => (await emr(undefined, ['--help'])).ms)),
    // key export = start-up + keystore unlock (one scrypt N=2^17) + a small write.
    unlock: median(await times(SMALL_RUNS, async () => (await emr('pat', ['--json', 'key', 'export', 'pat', '--format', 'age-identity', '-o', ageKey, '--force'])).ms)),
    // whois = start-up + chain client + one contract read; no key.
    chainRead: median(await times(SMALL_RUNS, async () => (await emr(undefined, ['--json', 'whois', 'pat'])).ms)),
    scryptInProcess: median(await times(3, scryptOnce)),
  };

  const rows = [];
  const split = [];
  for (const size of SIZES) {
    process.stderr.write(`bench: ${size.label} × ${size.runs}\n`);
    const plain = join(home, `plain-${size.bytes}.bin`);
    writeRandomFile(plain, size.bytes);
    const ids = [];
    const emrAdd = await times(size.runs, async () => {
      const r = await emr('dr', ['--json', 'record', 'add', plain, '--patient', 'pat', '--type', 'lab']);
      ids.push(r.data.records[0].id);
      return r.ms;
    });
    // Reference add: encrypt to the same two recipients emr uses (patient and author) and hash.
    const x = join(home, `ref-${size.bytes}.age`);
    const refAdd = await times(size.runs, async () => {
      const a = await run(AGE, ['-r', recipient.pat, '-r', recipient.dr, '-o', x, plain]);
      const b = await run('sha256sum', [plain]);
      return a.ms + b.ms;
    });
    const out = join(home, `out-${size.bytes}.bin`);
    const emrFetch = await times(size.runs, async (i) => {
      const r = await emr('pat', ['--json', 'fetch', ids[i], '-o', out, '--force']);
      if (statSync(out).size !== size.bytes || !r.data.signatureValid) throw new Error('fetch returned the wrong bytes or signature');
      return r.ms;
    });
    const emrFetchNoReceipt = await times(size.runs, async (i) => (await emr('pat', ['--json', 'fetch', ids[i], '-o', out, '--force', '--no-receipt'])).ms);
    const y = join(home, `ref-out-${size.bytes}.bin`);
    const refFetch = await times(size.runs, async () => {
      const a = await run(AGE, ['-d', '-i', ageKey, x], { stdout: y });
      const b = await run('sha256sum', [y]);
      return a.ms + b.ms;
    });
    rmSync(out, { force: true });
    rmSync(y, { force: true });
    rmSync(x, { force: true });
    rmSync(plain, { force: true });
    const m = { add: median(emrAdd), refAdd: median(refAdd), fetch: median(emrFetch), fetchNoReceipt: median(emrFetchNoReceipt), refFetch: median(refFetch) };
    rows.push({ op: 'record add', size: size.label, runs: size.runs, emr: fmt(m.add), reference: fmt(m.refAdd), ratio: `${(m.add / m.refAdd).toFixed(1)}×` });
    rows.push({ op: 'fetch', size: size.label, runs: size.runs, emr: fmt(m.fetch), reference: fmt(m.refFetch), ratio: `${(m.fetch / m.refFetch).toFixed(1)}×` });
    rows.push({ op: 'fetch --no-receipt', size: size.label, runs: size.runs, emr: fmt(m.fetchNoReceipt), reference: fmt(m.refFetch), ratio: `${(m.fetchNoReceipt / m.refFetch).toFixed(1)}×` });
    split.push({ size, m });
  }

  console.log(`\nrecords bench: ${cpus().length} cores, Node ${process.versions.node}, ${(await run(AGE, ['--version'])).stdout.trim()} (age), load avg at start ${load0.toFixed(2)}; medians`);
  console.log('reference: add = `age -r <patient> -r <author> -o x file` + `sha256sum file`; fetch = `age -d -i key x > y` + `sha256sum y`');
  console.table(rows);

  // Fixed vs per-byte. Start-up and unlock are measured directly; the per-byte rate is the
  // slope between the two sizes, so whatever is left of the small-record time is the
  // command's own fixed work (chain reads, signing, the transaction, the store's fsyncs).
  const [s, l] = split;
  const dBytes = l.size.bytes - s.size.bytes;
  const perMB = (a, b) => ((b - a) / dBytes) * 1e6;
  const unlock = fixed.unlock - fixed.startup;
  const chainConnect = fixed.chainRead - fixed.startup;
  const breakdown = [
    { part: 'process start-up (`emr --help`)', ms: fixed.startup.toFixed(0) },
    { part: 'keystore unlock (key export − start-up)', ms: unlock.toFixed(0) },
    { part: '  of which scrypt N=2^17 in-process', ms: fixed.scryptInProcess.toFixed(0) },
    { part: 'chain connect + one read (whois − start-up)', ms: chainConnect.toFixed(0) },
    { part: 'read-receipt tx (fetch − fetch --no-receipt, 10 KB)', ms: (s.m.fetch - s.m.fetchNoReceipt).toFixed(0) },
    { part: 'record add: rest of fixed cost (10 KB − start-up − unlock)', ms: (s.m.add - fixed.startup - unlock).toFixed(0) },
    { part: 'fetch: rest of fixed cost (10 KB − start-up − unlock)', ms: (s.m.fetch - fixed.startup - unlock).toFixed(0) },
  ];
  console.log('\nfixed costs per command (medians)');
  console.table(breakdown);
  const rate = (msPerMB) => `${msPerMB.toFixed(1)} ms/MB (${(1000 / msPerMB).toFixed(0)} MB/s)`;
  console.log(`per-byte (slope ${s.size.label} → ${l.size.label})`);
  console.table([
    { op: 'record add', emr: rate(perMB(s.m.add, l.m.add)), reference: rate(perMB(s.m.refAdd, l.m.refAdd)) },
    { op: 'fetch', emr: rate(perMB(s.m.fetch, l.m.fetch)), reference: rate(perMB(s.m.refFetch, l.m.refFetch)) },
  ]);
  console.log(`total bench time ${fmt(performance.now() - started)}`);
}

async function cleanup() {
  await emr('admin', ['devnet', 'down']).catch(() => {});
  if (!process.env.BENCH_KEEP) rmSync(home, { recursive: true, force: true });
}

main()
  .then(cleanup)
  .catch(async (e) => {
    console.error(e.message);
    await cleanup();
    process.exitCode = 1;
  });
