// Crypto benchmark through the real CLI: `emr encrypt` / `emr decrypt` (signed record
// bundles, keystore unlock included) vs stock `age -r` / `age -d`, file → file.
// Each run is a fresh process, alternating emr and age; medians of BENCH_RUNS (default 3).
// Also: marginal cost per GiB, peak RSS, keystore scrypt (node:crypto vs noble), start-up.
// Usage: npm run bench
//   EMR_BIN=<path to bin/emr.js>  benchmark another checkout (e.g. the commit before a change)
//   BENCH_RUNS=n, BENCH_SIZES=1,268435456,1073741824 (bytes), BENCH_DIR=/dev/shm (tmpfs: CPU, not disk)
//   BENCH_PROFILE=0 skips the per-thread CPU profile (perf) printed beside the CPU goal; BENCH_PROFILE_RUNS=n (default 3)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes, scrypt } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { median } from './lib.mjs';
import { profileCrypto } from './profile-crypto.mjs';

const bin = resolve(process.env.EMR_BIN ?? join(import.meta.dirname, '..', 'bin', 'emr.js'));
const AGE = existsSync('/usr/bin/age') ? '/usr/bin/age' : null;
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? `1,${256 << 20},${1 << 30}`).split(',').map(Number);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'emr-bench-'));
const home = join(dir, 'home');
const pw = join(dir, 'pw');
const env = { ...process.env, EMR_PASSWORD_FILE: pw, NO_COLOR: '1' };

const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const label = (n) => (n >= 1 << 30 ? `${n / (1 << 30)} GiB` : n >= 1 << 20 ? `${n / (1 << 20)} MiB` : `${n} B`);

function makeFile(path, size) {
  const fd = openSync(path, 'w');
  const block = randomBytes(Math.min(size, 1 << 20));
  for (let left = size; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(left, block.length));
  closeSync(fd);
}

/**
 * Wall time (s), CPU time (user + sys, s) and peak RSS (MiB) of one process, the last two
 * from /usr/bin/time. CPU time is the steadier figure on a shared machine.
 */
function timed(cmd, args) {
  const argv = TIME ? [TIME, '-f', '%M %U %S', cmd, ...args] : [cmd, ...args];
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [kib, user, sys] = TIME ? r.stderr.trim().split('\n').pop().split(' ').map(Number) : [NaN, NaN, NaN];
  return { s, cpu: user + sys, user, sys, rssMiB: kib / 1024, stdout: r.stdout };
}

const emr = (...args) => [process.execPath, [bin, '--home', home, ...args]];

try {
  writeFileSync(pw, 'bench passphrase, not a secret\n', { mode: 0o600 });
  const kg = JSON.parse(execFileSync(...emr('--json', 'keygen', '--name', 'b', '--password-file', pw), { env, encoding: 'utf8' }));
  const recipient = kg.data.recipient;
  const idFile = join(dir, 'id');
  execFileSync(...emr('key', 'export', 'b', '--format', 'age-identity', '-o', idFile), { env, stdio: 'pipe' });
  console.log(`emr: ${bin}\nage: ${AGE ?? 'missing'}; runs per size: ${RUNS} (median), alternating emr/age\n`);
  console.log('| size | encrypt emr s | age s | ratio | decrypt emr s | age s | ratio | emr peak RSS MiB |'); // wall (cpu = user + sys)
  console.log('|---|---|---|---|---|---|---|---|');
  const results = new Map();
  for (const size of SIZES) {
    const p = join(dir, 'plain');
    makeFile(p, size);
    const r = {
      emrEnc: [],
      ageEnc: [],
      emrDec: [],
      ageDec: [],
      cpu: { emrEnc: [], ageEnc: [], emrDec: [], ageDec: [] },
      user: {},
      sys: {},
      rss: 0,
      ageRss: 0,
    };
    const rm = () => ['e.age', 'e.out', 'a.age', 'a.out'].forEach((f) => rmSync(join(dir, f), { force: true }));
    for (let i = 0; i < RUNS; i++) {
      rm();
      const add = (k, t) => {
        r[k].push(t.s);
        r.cpu[k].push(t.cpu);
        (r.user[k] ??= []).push(t.user);
        (r.sys[k] ??= []).push(t.sys);
        if (k.startsWith('emr')) r.rss = Math.max(r.rss, t.rssMiB);
        else r.ageRss = Math.max(r.ageRss, t.rssMiB);
      };
      add('emrEnc', timed(...emr('encrypt', p, '--to', recipient, '-o', join(dir, 'e.age'))));
      if (AGE) add('ageEnc', timed(AGE, ['-r', recipient, '-o', join(dir, 'a.age'), p]));
      add('emrDec', timed(...emr('decrypt', join(dir, 'e.age'), '-o', join(dir, 'e.out'))));
      if (AGE) add('ageDec', timed(AGE, ['-d', '-i', idFile, '-o', join(dir, 'a.out'), join(dir, 'a.age')]));
      if (statSync(join(dir, 'e.out')).size !== size) throw new Error('emr decrypt: wrong size');
    }
    rm();
    rmSync(p, { force: true });
    const x = {
      emrEnc: median(r.emrEnc),
      ageEnc: AGE ? median(r.ageEnc) : NaN,
      emrDec: median(r.emrDec),
      ageDec: AGE ? median(r.ageDec) : NaN,
      rss: r.rss,
      ageRss: r.ageRss,
      user: Object.fromEntries(Object.entries(r.user).map(([k, v]) => [k, median(v)])),
      sys: Object.fromEntries(Object.entries(r.sys).map(([k, v]) => [k, median(v)])),
      cpu: Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, v.length ? median(v) : NaN])),
    };
    results.set(size, x);
    const c = (k) => ` (cpu ${f3(x.cpu[k])})`;
    console.log(
      `| ${label(size)} | ${f3(x.emrEnc)}${c('emrEnc')} | ${f3(x.ageEnc)}${c('ageEnc')} | ${f3(x.emrEnc / x.ageEnc)} | ` +
        `${f3(x.emrDec)}${c('emrDec')} | ${f3(x.ageDec)}${c('ageDec')} | ${f3(x.emrDec / x.ageDec)} | ${x.rss.toFixed(0)} |`,
    );
  }
  const lo = results.get(Math.min(...SIZES));
  const hi = results.get(Math.max(...SIZES));
  const gib = (Math.max(...SIZES) - Math.min(...SIZES)) / (1 << 30);
  if (gib > 0) {
    const m = (a, b) => (a - b) / gib;
    const [ee, ae, ed, ad] = [m(hi.emrEnc, lo.emrEnc), m(hi.ageEnc, lo.ageEnc), m(hi.emrDec, lo.emrDec), m(hi.ageDec, lo.ageDec)];
    console.log(
      `\nmarginal per GiB (${label(Math.max(...SIZES))} − ${label(Math.min(...SIZES))}): ` +
        `encrypt emr ${f3(ee)} s, age ${f3(ae)} s, ratio ${f3(ee / ae)}; decrypt emr ${f3(ed)} s, age ${f3(ad)} s, ratio ${f3(ed / ad)}`,
    );
    const mc = (k) => (hi.cpu[k] - lo.cpu[k]) / gib;
    console.log(
      `marginal CPU per GiB (user + sys): encrypt emr ${f3(mc('emrEnc'))} s, age ${f3(mc('ageEnc'))} s, ratio ${f3(mc('emrEnc') / mc('ageEnc'))}; ` +
        `decrypt emr ${f3(mc('emrDec'))} s, age ${f3(mc('ageDec'))} s, ratio ${f3(mc('emrDec') / mc('ageDec'))}`,
    );
    // Issue 26 § 1: CPU per byte beside its goals (the wall goals are in the table below).
    const ce = mc('emrEnc') / mc('ageEnc');
    const cd = mc('emrDec') / mc('ageDec');
    console.log(
      `issue 26 § 1 goals, marginal CPU per GiB: encrypt ${f3(ce)}× age (goal ≤ 1.2×: ${ce <= 1.2 ? 'met' : 'not met'}), ` +
        `decrypt ${f3(cd)}× age (goal ≤ 1.0×: ${cd <= 1.0 ? 'met' : 'not met'})`,
    );
    // Where that CPU goes, per thread (perf; bench/profile-crypto.mjs): the goal's explanation.
    if (process.env.BENCH_PROFILE !== '0' && Math.max(...SIZES) >= 64 << 20) {
      const mib = Math.floor(Math.max(...SIZES) / (1 << 20));
      const runs = Number(process.env.BENCH_PROFILE_RUNS ?? 3);
      try {
        console.log(profileCrypto({ bin, home, env, recipient, ageIdentity: idFile, dir, mib, runs }).text);
      } catch (e) {
        console.log(`(no per-thread profile: ${e.message.split('\n')[0]}; BENCH_PROFILE=0 skips it)`);
      }
    }
  }

  // Issue 11's table, side by side with the figures it reported (same method: fresh process
  // per command, alternating emr/age, medians, files on disk unless BENCH_DIR says otherwise).
  {
    const size = Math.max(...SIZES);
    const x = results.get(size);
    const cell = (k, wall) => `${f3(wall)} s (cpu ${f3(x.cpu[k])} s: user ${f3(x.user[k])}, sys ${f3(x.sys[k])})`;
    console.log(`\nissue 11 table, ${label(size)} (this run; the issue's own figures below it)`);
    console.log('| | emr | age | ratio |');
    console.log('|---|---|---|---|');
    console.log(
      `| encrypt ${label(size)}, whole command | ${cell('emrEnc', x.emrEnc)} | ${AGE ? cell('ageEnc', x.ageEnc) : 'n/a'} | ${f3(x.emrEnc / x.ageEnc)}× wall, ${f3(x.cpu.emrEnc / x.cpu.ageEnc)}× cpu |`,
    );
    console.log(
      `| decrypt ${label(size)}, whole command | ${cell('emrDec', x.emrDec)} | ${AGE ? cell('ageDec', x.ageDec) : 'n/a'} | ${f3(x.emrDec / x.ageDec)}× wall, ${f3(x.cpu.emrDec / x.cpu.ageDec)}× cpu |`,
    );
    if (results.size > 1) {
      const lo = results.get(Math.min(...SIZES));
      const g = (size - Math.min(...SIZES)) / (1 << 30);
      const mr = (k1, k2) => f3((x[k1] - lo[k1]) / g / ((x[k2] - lo[k2]) / g));
      console.log(
        `| marginal per GiB | encrypt ${mr('emrEnc', 'ageEnc')}× age, decrypt ${mr('emrDec', 'ageDec')}× age (wall) | | goal ≤ 0.8× / ≤ 0.7× |`,
      );
    }
    console.log(`| peak RSS | ${x.rss.toFixed(0)} MiB (scrypt N=2^17 alone is 128 MiB) | ${x.ageRss.toFixed(0)} MiB | |`);
    console.log('\nissue 11 as filed (its machine, 1 GiB):');
    console.log('| encrypt 1 GiB | 1.96 s (cpu 2.69 s: user 1.49, sys 1.18) | 1.43 s (cpu 1.04 s) | 1.40× wall |');
    console.log('| decrypt 1 GiB | 2.72 s (cpu 3.93 s: user 1.62, sys 2.35) | 1.38 s (cpu 1.10 s) | 1.98× wall |');
    console.log('| marginal per GiB | encrypt ≈ 1.0–1.3×, decrypt ≈ 1.2–1.6× age | | |');
    console.log('| peak RSS | 183 MiB | 11–21 MiB | |');
  }

  // With the key agent holding the key (`emr agent start`), a command does no scrypt: the
  // whole-command figure a user who runs the agent sees. Alternating with age again.
  if (AGE) {
    const size = Math.max(...SIZES);
    const p = join(dir, 'plain');
    makeFile(p, size);
    execFileSync(...emr('agent', 'start', '--password-file', pw), { env, stdio: 'pipe' });
    const { EMR_PASSWORD_FILE: _unused, ...noPass } = env;
    const viaAgent = (args) => {
      const argv = [TIME, '-f', '%M %U %S', process.execPath, bin, '--home', home, ...args];
      const t = process.hrtime.bigint();
      const r = spawnSync(argv[0], argv.slice(1), { env: noPass, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`emr ${args.join(' ')} via the agent failed (${r.status}): ${r.stderr}`);
      const [, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
      return { s: Number(process.hrtime.bigint() - t) / 1e9, cpu: user + sys };
    };
    const a = { enc: [], dec: [], ageEnc: [], ageDec: [] };
    try {
      for (let i = 0; i < RUNS; i++) {
        for (const f of ['e.age', 'e.out', 'a.age', 'a.out']) rmSync(join(dir, f), { force: true });
        a.enc.push(viaAgent(['encrypt', p, '--to', recipient, '-o', join(dir, 'e.age')]).s);
        a.ageEnc.push(timed(AGE, ['-r', recipient, '-o', join(dir, 'a.age'), p]).s);
        a.dec.push(viaAgent(['decrypt', join(dir, 'e.age'), '-o', join(dir, 'e.out')]).s);
        a.ageDec.push(timed(AGE, ['-d', '-i', idFile, '-o', join(dir, 'a.out'), join(dir, 'a.age')]).s);
      }
    } finally {
      execFileSync(...emr('agent', 'stop'), { env, stdio: 'pipe' });
      for (const f of [p, 'e.age', 'e.out', 'a.age', 'a.out'].map((f) => (f === p ? f : join(dir, f)))) rmSync(f, { force: true });
    }
    const [e, ae, d, ad] = [a.enc, a.ageEnc, a.dec, a.ageDec].map(median);
    console.log(
      `with the key agent running (no unlock), ${label(size)} whole command: encrypt ${f3(e)} s vs age ${f3(ae)} s (${f3(e / ae)}×), ` +
        `decrypt ${f3(d)} s vs age -d ${f3(ad)} s (${f3(d / ad)}×)`,
    );
  }

  // The crypto path alone (no keystore unlock, whose scrypt needs 128 MiB by itself):
  // encryptBundle + decryptBundle of the largest size in one child process.
  {
    const size = Math.max(...SIZES);
    const p = join(dir, 'plain');
    makeFile(p, size);
    // The modules themselves (src/crypto has no barrel: nothing in emr imported one).
    const cryptoModule = (name) => JSON.stringify(join(dirname(bin), '..', 'dist', 'crypto', `${name}.js`));
    const ethersEntry = createRequire(bin).resolve('ethers');
    const code = `const m = { ...(await import(${cryptoModule('bundle')})), ...(await import(${cryptoModule('identity')})) }; const { Wallet } = await import(${JSON.stringify(ethersEntry)});
      const w = new Wallet('0x' + '11'.repeat(32)); const id = m.generateIdentity(); const t0 = process.hrtime.bigint();
      await m.encryptBundle({ input: ${JSON.stringify(p)}, output: ${JSON.stringify(p + '.age')}, recipients: [id.recipient], meta: { patient: w.address, author: w.address, type: 'x' }, signer: w });
      const t1 = process.hrtime.bigint();
      await m.decryptBundle({ input: ${JSON.stringify(p + '.age')}, output: ${JSON.stringify(p + '.out')}, identities: [id.identity] });
      const t2 = process.hrtime.bigint();
      console.log(JSON.stringify({ enc: Number(t1 - t0) / 1e9, dec: Number(t2 - t1) / 1e9 }));`;
    const t = timed(process.execPath, ['--input-type=module', '-e', code]);
    const out = JSON.parse(t.stdout);
    console.log(
      `crypto path alone (library, ${label(size)} bundle, no keystore): encrypt ${f3(out.enc)} s, decrypt ${f3(out.dec)} s, peak RSS ${t.rssMiB.toFixed(0)} MiB`,
    );
    for (const f of [p, p + '.age', p + '.out']) rmSync(f, { force: true });
  }

  // Keystore unlock: scrypt N=2^17, r=8, p=1 (Web3 Secret Storage defaults), same process.
  const require = createRequire(bin);
  const { scrypt: nobleScrypt } = await import(require.resolve('@noble/hashes/scrypt.js'));
  const salt = randomBytes(32);
  const nodeTimes = [];
  const nobleTimes = [];
  for (let i = 0; i < 3; i++) {
    let t = process.hrtime.bigint();
    await new Promise((res, rej) => scrypt('pw', salt, 32, { N: 1 << 17, r: 8, p: 1, maxmem: 256 << 20 }, (e) => (e ? rej(e) : res())));
    nodeTimes.push(Number(process.hrtime.bigint() - t) / 1e9);
    t = process.hrtime.bigint();
    nobleScrypt('pw', salt, { N: 1 << 17, r: 8, p: 1, dkLen: 32 });
    nobleTimes.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  console.log(`keystore scrypt N=2^17: node:crypto ${f3(median(nodeTimes))} s, noble (pure JS) ${f3(median(nobleTimes))} s`);

  // Start-up: `emr --help` vs `node -e 0`, alternating, median of 7.
  const help = [];
  const bare = [];
  for (let i = 0; i < 7; i++) {
    help.push(timed(process.execPath, [bin, '--help']).s);
    bare.push(timed(process.execPath, ['-e', '0']).s);
  }
  // The bundle codec (dist/crypto/bundle.js and what it imports): what a library user loads.
  const bundleEntry = join(dirname(bin), '..', 'dist', 'crypto', 'bundle.js');
  const imp = [];
  for (let i = 0; i < 7; i++) imp.push(timed(process.execPath, ['--input-type=module', '-e', `import ${JSON.stringify(bundleEntry)}`]).s);
  console.log(
    `start-up: node -e 0 ${f3(median(bare))} s; emr --help ${f3(median(help))} s (${f3(median(help) / median(bare))}×, goal ≤ 1.5×); ` +
      `import dist/crypto/bundle.js ${f3(median(imp))} s`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
