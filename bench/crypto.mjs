// Crypto benchmark: emr (age v1 via dist/crypto) vs stock `age`, file → file.
// Each run is a child process, so start-up is included as in a CLI run.
// Usage: npm run bench   (EMR_DIST=<dir> overrides the dist/ directory; BENCH_RUNS=n)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, writeSync, closeSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

const dist = resolve(process.env.EMR_DIST ?? join(import.meta.dirname, '..', 'dist'));
const entry = join(dist, 'crypto', 'index.js');
const AGE = existsSync('/usr/bin/age') ? '/usr/bin/age' : null;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'emr-bench-'));

function makeFile(path, size) {
  const fd = openSync(path, 'w');
  const block = randomBytes(1 << 20);
  for (let left = size; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(left, block.length));
  closeSync(fd);
}

const hwm = "Number(/VmHWM:\\s+(\\d+)/.exec(require('node:fs').readFileSync('/proc/self/status','utf8'))[1])";
function emr(op, input, output, id) {
  const call = op === 'enc'
    ? `encryptFile({ recipients: [${JSON.stringify(id.recipient)}], input: ${JSON.stringify(input)}, output: ${JSON.stringify(output)} })`
    : `decryptFile({ identities: [${JSON.stringify(id.identity)}], input: ${JSON.stringify(input)}, output: ${JSON.stringify(output)} })`;
  const esm = `import * as m from ${JSON.stringify(entry)}; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); await m.${call}; process.stdout.write(String(${hwm}));`;
  const t = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', esm], { encoding: 'utf8' });
  return { s: Number(process.hrtime.bigint() - t) / 1e9, hwmMiB: Number(out) / 1024 };
}
function age(op, input, output, idFile, recipient) {
  const args = op === 'enc' ? ['-r', recipient, '-o', output, input] : ['-d', '-i', idFile, '-o', output, input];
  const t = process.hrtime.bigint();
  const r = spawnSync(AGE, args);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return { s: Number(process.hrtime.bigint() - t) / 1e9 };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => x.toFixed(3);

try {
  const m = await import(entry);
  const id = m.generateIdentity('x25519');
  const idFile = join(dir, 'id');
  writeFileSync(idFile, `${id.identity}\n`);
  const sizes = [['1 B', 1], ['256 MiB', 256 << 20], ['1 GiB', 1 << 30]];
  const results = {};
  for (const [label, size] of sizes) {
    const p = join(dir, 'plain');
    makeFile(p, size);
    const r = { emrEnc: [], ageEnc: [], emrDec: [], ageDec: [], rss: 0 };
    for (let i = 0; i < RUNS; i++) {
      // Alternate emr and age so cache and thermal state are shared fairly.
      const e = emr('enc', p, join(dir, 'e.age'), id);
      r.emrEnc.push(e.s); r.rss = Math.max(r.rss, e.hwmMiB);
      if (AGE) r.ageEnc.push(age('enc', p, join(dir, 'a.age'), idFile, id.recipient).s);
      const d = emr('dec', join(dir, 'e.age'), join(dir, 'e.out'), id);
      r.emrDec.push(d.s); r.rss = Math.max(r.rss, d.hwmMiB);
      if (AGE) r.ageDec.push(age('dec', join(dir, 'a.age'), join(dir, 'a.out'), idFile).s);
      for (const f of ['e.age', 'e.out', 'a.age', 'a.out']) rmSync(join(dir, f), { force: true });
    }
    results[label] = { emrEnc: median(r.emrEnc), ageEnc: AGE ? median(r.ageEnc) : NaN, emrDec: median(r.emrDec), ageDec: AGE ? median(r.ageDec) : NaN, rss: r.rss };
    const x = results[label];
    console.log(`${label.padEnd(8)} encrypt emr ${fmt(x.emrEnc)} s  age ${fmt(x.ageEnc)} s  ratio ${fmt(x.emrEnc / x.ageEnc)} | ` +
      `decrypt emr ${fmt(x.emrDec)} s  age ${fmt(x.ageDec)} s  ratio ${fmt(x.emrDec / x.ageDec)} | emr peak RSS ${x.rss.toFixed(0)} MiB`);
    rmSync(p, { force: true });
  }
  const g = results['1 GiB'], one = results['1 B'];
  console.log(`marginal per GiB (1 GiB − 1 B): encrypt emr ${fmt(g.emrEnc - one.emrEnc)} s, age ${fmt(g.ageEnc - one.ageEnc)} s; ` +
    `decrypt emr ${fmt(g.emrDec - one.emrDec)} s, age ${fmt(g.ageDec - one.ageDec)} s`);
  const start = (args) => { const xs = []; for (let i = 0; i < 5; i++) { const t = process.hrtime.bigint(); execFileSync(process.execPath, args); xs.push(Number(process.hrtime.bigint() - t) / 1e9); } return median(xs); };
  console.log(`start-up: node -e 0 ${fmt(start(['-e', '0']))} s; importing emr crypto ${fmt(start(['--input-type=module', '-e', `import ${JSON.stringify(entry)}`]))} s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
