// Where a batch job's main thread spends its time (issue 26 § 2: "met or explained with a
// profile"): reads a V8 .cpuprofile of `emr` (node --cpu-prof), maps every sample's frames
// back to the TypeScript sources through the bundle's source maps, and charges the sample
// to the innermost frame that is the project's own code (src/…), so ethers' or noble's time
// counts for the emr module that called them. The file decides the category (COSTS below).
// Samples are wall time of the main thread: "waiting" is idle (chain answers, the
// threadpool's scrypt and file writes); a blocking syscall (fsync, open) counts as busy.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Category by source path (first match wins), then by function name for frames outside src/. */
const COSTS = [
  ['signature (EIP-712 over secp256k1)', /src\/crypto\/(typed-data-signer|eip712|bundle-signature)\.ts|src\/secp256k1\.ts/],
  ['X25519 stanza wraps', /src\/crypto\/(x25519|x25519-stanza|recipients|age-recipients)\.ts/],
  ['encryption (HKDF, ChaCha20-Poly1305, SHA-256, header)', /src\/crypto\//],
  ['store: block and pin files', /src\/ipfs\/(?!embedded\.ts#sync)/],
  ['journal', /src\/batch\/journal\.ts/],
  ['contact book (first sight of a key)', /src\/(contacts|session\/contacts|fs-atomic)\.ts/],
  ['chain: ABI encoding, signing and sending the batch transactions', /src\/(batch\/send-batch|chain\/add-records|chain\/send)\.ts/],
  ['chain: reads before a (patient, type) first row (whois, grants, readers)', /src\/(chain|records\/recipients|records\/type-keys)/],
  ['validation (manifest, row files, patients)', /src\/batch\/(validate|manifest|csv|confine|fhir-parts)\.ts|src\/fhir\//],
  ['progress events and result document', /src\/(output|progress|commands)|src\/batch\/batch-add\.ts|src\/cli\.ts/],
  ['record assembly (read row file, metadata)', /src\/records\//],
  ['unlock, session, start-up', /src\/(session|keys|identity|context|config)/],
  ['batch pipeline (run.ts, the rest of src/)', /src\//],
];

/** Loads `file`'s source map once; null without one. */
const maps = new Map();
function mapOf(url) {
  if (maps.has(url)) return maps.get(url);
  let m = null;
  if (url.startsWith('file://') && url.endsWith('.js')) {
    try {
      m = new SourceMap(JSON.parse(readFileSync(fileURLToPath(url) + '.map', 'utf8')));
    } catch {}
  }
  maps.set(url, m);
  return m;
}

/** The source path of a frame (`src/…`, `node_modules/…`), or '' for V8 and Node internals. */
function sourceOf(frame) {
  const m = mapOf(frame.url);
  if (!m) return '';
  const e = m.findEntry(frame.lineNumber, frame.columnNumber);
  return e?.originalSource ?? '';
}

/**
 * Costs of one profile in ms per 1,000 records: `{ rows: [[category, ms]…], busyMs, idleMs }`.
 * `records` scales the figures; `syncFns` names functions whose time is the store's sync.
 */
export function profileCosts(path, records) {
  const p = JSON.parse(readFileSync(path, 'utf8'));
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Per node: its category (memoised: a node's stack never changes).
  const catOf = new Map();
  const classify = (id) => {
    if (catOf.has(id)) return catOf.get(id);
    const leaf = nodes.get(id);
    const fn = leaf.callFrame.functionName;
    let cat;
    if (fn === '(idle)') cat = 'waiting (idle: chain answers, threadpool)';
    else if (fn === '(garbage collector)') cat = 'garbage collection';
    else if (fn === '(program)') cat = 'V8 and Node internals (program)';
    else {
      // The store's durability point (STORAGE.md § Durability) apart from its writes.
      for (let at = id; at !== undefined && !cat; at = parent.get(at)) {
        const f = nodes.get(at).callFrame;
        if (/^(sync|syncfs|fsyncEach)$/.test(f.functionName) && sourceOf(f).endsWith('src/ipfs/embedded.ts')) {
          cat = 'store: sync (durability point per chunk)';
        }
      }
      for (let at = id; at !== undefined && !cat; at = parent.get(at)) {
        const f = nodes.get(at).callFrame;
        const src = sourceOf(f).replace(/^.*?(src\/|node_modules\/)/, '$1');
        if (!src.startsWith('src/')) continue;
        cat = COSTS.find(([, re]) => re.test(src))?.[0];
      }
      if (!cat) {
        // No emr frame: module loading, ethers' JSON-RPC responses and timers.
        let at = id;
        let any = '';
        for (; at !== undefined; at = parent.get(at))
          any += ` ${nodes.get(at).callFrame.functionName} ${sourceOf(nodes.get(at).callFrame)}`;
        if (/compileSourceTextModule|ModuleJob|loadESM|esm\//.test(any)) cat = 'module loading (start-up)';
        else if (/node_modules\/(ipfs-unixfs|it-|multiformats|@ipld)/.test(any)) cat = 'store: UnixFS DAG and CID (ipfs-unixfs-importer)';
        else if (/node_modules\/ethers/.test(any)) cat = 'chain: ethers JSON-RPC (responses, polling)';
        else cat = 'V8 and Node internals (program)';
      }
    }
    catOf.set(id, cat);
    return cat;
  };
  const totals = new Map();
  // PROFILE_DEBUG=<part of a category>: that category's leaf functions, for checking the rules.
  const debug = process.env.PROFILE_DEBUG;
  const leaves = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const d = (p.timeDeltas[i + 1] ?? 0) / 1000;
    const c = classify(p.samples[i]);
    totals.set(c, (totals.get(c) ?? 0) + d);
    if (debug && c.includes(debug)) {
      const stack = [];
      for (let at = p.samples[i]; at !== undefined && stack.length < 6; at = parent.get(at)) {
        const f = nodes.get(at).callFrame;
        stack.push(`${f.functionName || '(anon)'}@${sourceOf(f).replace(/^.*?(src\/|node_modules\/)/, '$1') || f.url.split('/').pop()}`);
      }
      const k = stack.join(' < ');
      leaves.set(k, (leaves.get(k) ?? 0) + d);
    }
  }
  if (debug) for (const [k, ms] of [...leaves].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.error(`${ms.toFixed(0).padStart(6)} ${k}`);
  const scale = 1000 / records;
  const rows = [...totals].map(([c, ms]) => [c, ms * scale]).sort((a, b) => b[1] - a[1]);
  const idleMs = rows.filter(([c]) => c.startsWith('waiting')).reduce((s, [, ms]) => s + ms, 0);
  const busyMs = rows.reduce((s, [, ms]) => s + ms, 0) - idleMs;
  return { rows, busyMs, idleMs };
}

// `node bench/profile-costs.mjs <file.cpuprofile> [records]`: the table alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { rows, busyMs } = profileCosts(process.argv[2], Number(process.argv[3] ?? 1000));
  for (const [c, ms] of rows) console.log(`${ms.toFixed(0).padStart(6)} ms  ${c}`);
  console.log(`${busyMs.toFixed(0).padStart(6)} ms  main thread busy (all but waiting), per 1,000 records`);
}
