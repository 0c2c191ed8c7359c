// Where `emr encrypt` / `emr decrypt` spend their CPU, per thread (issue 26 § 1).
// Each run is `perf record -g` of `node bin/emr.js …` with files on tmpfs: perf samples a
// thread only while it is on a CPU (cpu-clock), so the figures are CPU seconds even on a
// shared machine. (node --cpu-prof samples wall time per thread: under load it charged the
// main thread's waits for a core to `read`, 0.76 s/GiB where perf measured 0.17.) A sample
// goes to the category of the first frame, from the leaf up, that matches a rule below, so
// a page fault taken inside memcpy counts as a page fault and OpenSSL's ChaCha20 inside
// EVP_EncryptUpdate as the cipher. Threads: main, the AEAD worker (its kernel tid recorded
// by a --require preload), helpers (V8's GC/compiler threads, libuv's pool: scrypt); and
// `age` itself, profiled the same way (stripped: its user code is one category).
// Marginal per GiB = (N MiB run − 1 B run) / N GiB, medians of PROFILE_RUNS per cell.
// Usage: npm run bench:profile   (PROFILE_MIB=1024, PROFILE_RUNS=3, BENCH_DIR=/dev/shm, EMR_BIN)
// bench/crypto.mjs imports profileCrypto() and prints the same table beside the goal.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from './lib.mjs';

/** [category, frame symbol test]; the first rule matching a frame, leaf first, wins. */
const RULES = [
  ['SHA-256', /^sha256_|^SHA256_/],
  ['ChaCha20-Poly1305 (OpenSSL)', /^(ChaCha20_|chacha20_|poly1305_|Poly1305_)/i],
  ['page faults (fresh memory)', /^exc_page_fault$/],
  ['file read (kernel copy)', /^(vfs_read|ksys_pread64|__x64_sys_pread64)$/],
  ['file write (kernel copy, tmpfs pages)', /^(vfs_write|vfs_writev|do_pwritev|ksys_pwrite64)$/],
  ['mmap/munmap/madvise', /^(__x64_sys_(mmap|munmap|madvise|mprotect|brk)|ksys_mmap_pgoff)$/],
  [
    'GC',
    /^v8::internal::(Heap::|Scavenger|ScavengerCollector|MarkCompact|MinorMarkCompact|MinorMS|Sweeper|ConcurrentMarking|IncrementalMarking|ArrayBufferSweeper|GCTracer|MemoryAllocator|PagedSpace|SemiSpace)/,
  ],
  [
    'malloc/free, memcpy/memset',
    /^(malloc|free|cfree|calloc|__libc_calloc|realloc|_int_malloc|_int_free|sysmalloc|malloc_consolidate|unlink_chunk|__memmove_|__memset_|__memcpy_|memcpy|memmove|memset|tcache_)/,
  ],
  ['cipher object per chunk (EVP, node::crypto)', /^(EVP_|ossl_|OPENSSL_|CRYPTO_|node::crypto::)/],
  ['thread messaging, futex', /^(node::worker::|futex_|__futex|__x64_sys_futex|uv_async)/],
  ['keystore scrypt (fixed cost)', /scrypt/i],
  // Fixed per run, but only the big run starts a worker, so it lands in the marginal figure.
  [
    'worker start-up: parse, compile (fixed)',
    /^(v8::internal::(Compiler|Parser|PreParser|Scanner|Deserializer|AstValueFactory|interpreter::Bytecode)|JS:\^?compileForInternalLoader)/,
  ],
  ['JS and V8 runtime (emr, node)', /^(Builtins_|JS:|v8::|node::)/],
];
/** Leaf frames in user space that no rule names: JIT code for node, the stripped binary for age. */
const UNSYMBOLISED = { node: 'JS and V8 runtime (emr, node)', age: 'age user code (stripped: its AEAD, Go runtime)' };

/** Records each JS thread's kernel tid (threadId 0 = main, 1 = the worker). */
const PRELOAD = `const fs = require('node:fs');
const tid = fs.readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0];
fs.appendFileSync(process.env.PROFILE_TIDS, require('node:worker_threads').threadId + ' ' + tid + '\\n');`;

/** One perf-recorded run (node bin/emr.js …, or age): CPU seconds by thread and category, and "other"'s leaf symbols. */
function profiledRun(argv, env, work, age = false) {
  const data = join(work, 'perf.data');
  const tids = join(work, 'tids');
  writeFileSync(tids, '');
  const cmd = age ? argv : [process.execPath, '--require', join(work, 'preload.cjs'), ...argv];
  const r = spawnSync('perf', ['record', '-q', '-g', '-F', '999', '-o', data, '--', ...cmd], {
    env: { ...env, PROFILE_TIDS: tids },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`perf record ${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  const role = new Map(
    readFileSync(tids, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([id, tid]) => [tid, id === '0' ? 'main' : 'worker']),
  );
  const script = spawnSync('perf', ['script', '-i', data, '-F', 'tid,period,ip,sym'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const cells = {};
  const other = {};
  // Blocks: "tid period" then one frame per line (leaf first), then a blank line.
  for (const block of script.stdout.split('\n\n')) {
    const lines = block.trim().split('\n');
    const head = lines[0]?.trim().split(/\s+/);
    if (!head || head.length < 2) continue;
    const who = age ? 'age' : (role.get(head[0]) ?? 'helpers');
    const s = Number(head[1]) / 1e9; // cpu-clock period: ns on a CPU
    const frames = lines.slice(1).map((l) => l.trim().split(/\s+/));
    const syms = frames.map(([, ...sym]) => sym.join(' ').replace(/\+0x[0-9a-f]+$/, ''));
    const userLeaf = frames[0] && !frames[0][0].startsWith('ffff');
    let cat = userLeaf && /^(\[unknown\]|0x[0-9a-f]+)?$/.test(syms[0]) ? UNSYMBOLISED[age ? 'age' : 'node'] : 'other';
    for (const sym of cat === 'other' ? syms : []) {
      const hit = RULES.find(([, re]) => re.test(sym));
      if (hit) {
        cat = hit[0];
        break;
      }
    }
    cells[who] ??= {};
    cells[who][cat] = (cells[who][cat] ?? 0) + s;
    if (cat === 'other') other[syms[0] ?? '?'] = (other[syms[0] ?? '?'] ?? 0) + s;
  }
  rmSync(data, { force: true });
  return { cells, other };
}

const f2 = (x) => (Math.abs(x) < 0.005 ? '0.00' : x.toFixed(2));
const THREADS = ['main', 'worker', 'helpers', 'age'];
const READ = 'file read (kernel copy)';
export const CATEGORIES = [...RULES.map(([c]) => c), UNSYMBOLISED.age, 'other'];

/**
 * Profiles `emr encrypt` and `emr decrypt` of `mib` MiB and of 1 B, `runs` times each
 * (alternating; with `age` on PATH and an `ageIdentity` file, `age -r` / `age -d` of the same
 * files too), and returns the marginal CPU per GiB by thread and category, and a table.
 */
export function profileCrypto({ bin, home, env, recipient, ageIdentity, dir, mib = 1024, runs = 3 }) {
  if (spawnSync('perf', ['--version']).status !== 0) return { text: '\n(perf not found: no per-thread CPU profile)' };
  const work = mkdtempSync(join(dir, 'emr-prof-'));
  try {
    writeFileSync(join(work, 'preload.cjs'), PRELOAD);
    const plain = { big: join(work, 'big'), small: join(work, 'small') };
    const fd = openSync(plain.big, 'w');
    const block = randomBytes(1 << 20);
    for (let i = 0; i < mib; i++) writeSync(fd, block);
    closeSync(fd);
    writeFileSync(plain.small, 'x');
    const withAge = ageIdentity !== undefined && spawnSync('age', ['--version']).status === 0;
    const got = {
      enc: { big: [], small: [] },
      dec: { big: [], small: [] },
      ageEnc: { big: [], small: [] },
      ageDec: { big: [], small: [] },
    };
    for (let i = 0; i < runs; i++) {
      for (const s of ['small', 'big']) {
        for (const f of [`${plain[s]}.age`, `${plain[s]}.out`]) rmSync(f, { force: true });
        got.enc[s].push(profiledRun([bin, '--home', home, 'encrypt', plain[s], '--to', recipient, '-o', `${plain[s]}.age`], env, work));
        got.dec[s].push(profiledRun([bin, '--home', home, 'decrypt', `${plain[s]}.age`, '-o', `${plain[s]}.out`], env, work));
        if (!withAge) continue;
        for (const f of [`${plain[s]}.a.age`, `${plain[s]}.a.out`]) rmSync(f, { force: true });
        got.ageEnc[s].push(profiledRun(['age', '-r', recipient, '-o', `${plain[s]}.a.age`, plain[s]], env, work, true));
        got.ageDec[s].push(profiledRun(['age', '-d', '-i', ageIdentity, '-o', `${plain[s]}.a.out`, `${plain[s]}.a.age`], env, work, true));
      }
    }
    const gib = (mib * (1 << 20) - 1) / (1 << 30);
    const out = { text: '' };
    for (const op of ['enc', 'dec']) {
      const runsOf = (size, th) => (th === 'age' ? got[op === 'enc' ? 'ageEnc' : 'ageDec'][size] : got[op][size]);
      const cell = (size, th, cat) => median(runsOf(size, th).map((r) => r.cells[th]?.[cat] ?? 0));
      const m = (th, cat) => (cell('big', th, cat) - cell('small', th, cat)) / gib;
      const table = Object.fromEntries(THREADS.map((th) => [th, Object.fromEntries(CATEGORIES.map((c) => [c, m(th, c)]))]));
      const sum = (th) => CATEGORIES.reduce((a, c) => a + table[th][c], 0);
      const total = THREADS.filter((th) => th !== 'age').reduce((a, th) => a + sum(th), 0);
      const cols = withAge ? THREADS : THREADS.filter((th) => th !== 'age');
      const otherTop = {};
      for (const r of got[op].big) for (const [k, s] of Object.entries(r.other)) otherTop[k] = (otherTop[k] ?? 0) + s / runs / gib;
      const top = Object.entries(otherTop)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5);
      const age = withAge ? sum('age') : Number.NaN;
      // The work the format itself asks for: hash the content, run the AEAD, read and write the bytes once.
      const emrThreads = THREADS.filter((th) => th !== 'age');
      const of = (re) => emrThreads.reduce((a, th) => a + CATEGORIES.filter((c) => re.test(c)).reduce((b, c) => b + table[th][c], 0), 0);
      const sha = of(/^SHA-256/);
      const floor = sha + of(/^(ChaCha20|file read|file write)/);
      out[op] = { table, total, age, floor, sha, threads: Object.fromEntries(THREADS.map((th) => [th, sum(th)])) };
      out.text += [
        `\n${op === 'enc' ? 'encrypt' : 'decrypt'}: marginal CPU s per GiB by thread (perf, ${mib} MiB − 1 B, median of ${runs} per cell)`,
        `| category | ${cols.join(' | ')} |`,
        `|---|${cols.map(() => '---|').join('')}`,
        ...CATEGORIES.filter((c) => cols.some((th) => Math.abs(table[th][c]) >= 0.005)).map(
          (c) => `| ${c} | ${cols.map((th) => f2(table[th][c])).join(' | ')} |`,
        ),
        `| thread total | ${cols.map((th) => f2(sum(th))).join(' | ')} |`,
        `emr, all threads: ${f2(total)} s/GiB${withAge ? ` = ${f2(total / age)}× age's ${f2(age)} (profiled runs)` : ''}; ` +
          `"other" = leaf frames no rule names: ${top.map(([k, s]) => `${k} ${f2(s)}`).join(', ') || 'none'}`,
        `format work as emr does it: SHA-256 + ChaCha20-Poly1305 + file reads (main ${f2(table.main[READ])}, worker ${f2(table.worker[READ])}: ` +
          `one thread re-reads what the other read) + writes = ${f2(floor)} s/GiB${withAge ? ` (${f2(floor / age)}× age)` : ''}, of which SHA-256 ` +
          `${f2(sha)} (age hashes nothing); the rest, ${f2(total - floor)} s/GiB, is Node's cipher API per 64 KiB chunk, JS/V8, GC, page faults, helper threads`,
        '',
      ].join('\n');
    }
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Stand-alone: a fresh home and key on tmpfs, then the tables.
if (import.meta.url === `file://${process.argv[1]}`) {
  const bin = resolve(process.env.EMR_BIN ?? join(import.meta.dirname, '..', 'bin', 'emr.js'));
  const base = process.env.BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  const dir = mkdtempSync(join(base, 'emr-profile-'));
  try {
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'bench passphrase, not a secret\n', { mode: 0o600 });
    const env = { ...process.env, EMR_PASSWORD_FILE: pw, NO_COLOR: '1' };
    const home = join(dir, 'home');
    const kg = execFileSync(process.execPath, [bin, '--home', home, '--json', 'keygen', '--name', 'p', '--password-file', pw], {
      env,
      encoding: 'utf8',
    });
    const ageIdentity = join(dir, 'id');
    execFileSync(process.execPath, [bin, '--home', home, 'key', 'export', 'p', '--format', 'age-identity', '-o', ageIdentity], {
      env,
      stdio: 'pipe',
    });
    const mib = Number(process.env.PROFILE_MIB ?? 1024);
    const runs = Number(process.env.PROFILE_RUNS ?? 3);
    console.log(`emr: ${bin}; files in ${base}`);
    console.log(profileCrypto({ bin, home, env, recipient: JSON.parse(kg).data.recipient, ageIdentity, dir, mib, runs }).text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
