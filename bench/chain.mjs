#!/usr/bin/env node
// `npm run bench:chain` (issue 26 § 3; docs/CONTRACT.md § Log index): a long chain. A
// Hardhat 2 node (test/hardhat-node; `hardhat_mine` mines any count of blocks at once) with
// BENCH_BLOCKS (1,000,000) blocks and BENCH_RECORDS (10,000) records of BENCH_PATIENTS (20)
// patients spread over it, read through a proxy that refuses eth_getLogs over more than
// 10,000 blocks (as public endpoints do). Times `record list` of one patient and that
// patient's `audit` through the built binary, cold (no log index) and warm (the index of
// the run before, one new block since), alternating, medians; the emr process's CPU
// (user+sys, GNU time) and the node's CPU (/proc) apart from the wall time, with the count
// of eth_getLogs each run asked. The key agent holds the key (no scrypt in the figures).
// Goals (issue 26 § 3): ≤ 30 s cold, ≤ 1 s warm.
// Env: BENCH_BLOCKS, BENCH_RECORDS, BENCH_PATIENTS, BENCH_RUNS (3), BENCH_KEEP=1,
// BENCH_NODE_ARGS (node flags for the measured runs, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof').
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { BIN, bench, fmt, median, ROOT, times } from './lib.mjs';

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 1_000_000);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CAP = 10_000;
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Records are added in this many rounds, a stretch of empty blocks before each. */
const ROUNDS = 50;

const HH_DIR = join(ROOT, 'test', 'hardhat-node');
const HH_CLI = join(HH_DIR, 'node_modules', 'hardhat', 'internal', 'cli', 'bootstrap.js');
const { generateIdentity } = await import(join(ROOT, 'dist/crypto/identity.js'));
const { abi } = JSON.parse(readFileSync(join(ROOT, 'artifacts', 'EmrAccess.json'), 'utf8'));

const { home, run, emr } = bench('chain', ['admin', 'pat']);
let node;
let proxy;

async function rpc(url, method, params = []) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const j = await r.json();
  if (j.error) throw new Error(`${method}: ${j.error.message}`);
  return j.result;
}

/** `hardhat node` on a port the OS picks, read back from its banner (test/cli/second-evm.test.ts). */
async function startHardhat() {
  if (!existsSync(HH_CLI)) throw new Error('test/hardhat-node is not installed: run `node scripts/ensure-hardhat-node.mjs`');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? home, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', NO_COLOR: '1' };
  node = spawn(process.execPath, [HH_CLI, 'node', '--hostname', '127.0.0.1', '--port', '0'], {
    cwd: HH_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const onData = (d) => {
      // The node logs every request: keep only a tail.
      log = (log + d.toString('utf8')).slice(-20_000);
      const m = /JSON-RPC server at (http:\/\/127\.0\.0\.1:(\d+))\//.exec(log);
      if (m) resolve(m[1]);
    };
    node.stdout.on('data', onData);
    node.stderr.on('data', onData);
    node.on('exit', (code) => reject(new Error(`hardhat node exited (${code}):\n${log.slice(-2000)}`)));
  });
  for (let i = 0; i < 600; i++) {
    try {
      await rpc(url, 'eth_chainId');
      return url;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('hardhat node never answered');
}

/** A pass-through that refuses eth_getLogs over more than CAP blocks and counts the served ones. */
async function cappingProxy(target) {
  const state = { getLogs: 0, refused: 0, requests: 0 };
  const blockOf = async (tag) =>
    typeof tag === 'string' && tag.startsWith('0x') ? Number(BigInt(tag)) : Number(BigInt(await rpc(target, 'eth_blockNumber')));
  const answer = async (m) => {
    state.requests++;
    if (m.method === 'eth_getLogs') {
      const f = m.params?.[0] ?? {};
      const from = await blockOf(f.fromBlock ?? 'latest');
      const to = await blockOf(f.toBlock ?? 'latest');
      if (to - from + 1 > CAP) {
        state.refused++;
        return { jsonrpc: '2.0', id: m.id, error: { code: -32005, message: `query exceeds max block range ${CAP}` } };
      }
      state.getLogs++;
    }
    const r = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(m) });
    return r.json();
  };
  const server = createServer((req, res) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', async () => {
      try {
        const j = JSON.parse(Buffer.concat(parts).toString('utf8'));
        const out = Array.isArray(j) ? await Promise.all(j.map(answer)) : await answer(j);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  proxy = server;
  return { url: `http://127.0.0.1:${server.address().port}`, state };
}

/** CPU seconds the node has used so far (utime + stime, clock ticks of 10 ms). */
function nodeCpu() {
  const f = readFileSync(`/proc/${node.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function main() {
  const started = performance.now();
  const load0 = loadavg()[0];
  process.stderr.write(`bench: hardhat node, ${BLOCKS} blocks, ${RECORDS} records of ${PATIENTS} patients, in ${home}\n`);
  const nodeUrl = await startHardhat();
  const { url, state } = await cappingProxy(nodeUrl);
  const [faucet] = await rpc(nodeUrl, 'eth_accounts');
  const fund = async (to) => {
    const hash = await rpc(nodeUrl, 'eth_sendTransaction', [{ from: faucet, to, value: '0x' + (10n ** 20n).toString(16) }]);
    while (!(await rpc(nodeUrl, 'eth_getTransactionReceipt', [hash]))) await new Promise((r) => setTimeout(r, 20));
  };
  const made = {};
  for (const [who, role] of [
    ['admin', 'admin'],
    ['pat', 'patient'],
  ]) {
    made[who] = (await emr(who, ['--json', 'keygen', '--name', who, '--role', role])).data;
    await fund(made[who].address);
  }
  const chainArgs = ['--rpc-url', url];
  const deployed = (await emr('admin', ['--json', ...chainArgs, 'admin', 'deploy', '--save'])).data;
  await emr('pat', ['--json', 'register']);
  // The measured patient's own key signs its records (a patient may add its own records).
  const phraseFile = join(home, 'pat.mnemonic');
  await emr('pat', ['--json', 'key', 'export', 'pat', '--format', 'mnemonic', '-o', phraseFile]);
  const provider = new JsonRpcProvider(nodeUrl, undefined, { staticNetwork: true, batchMaxCount: 1 });
  const pat = Wallet.fromPhrase(readFileSync(phraseFile, 'utf8').trim(), provider);
  rmSync(phraseFile);
  const others = [];
  for (let i = 1; i < PATIENTS; i++) {
    const w = Wallet.createRandom().connect(provider);
    await fund(w.address);
    const c = new Contract(deployed.contract, abi, w);
    await (await c.register(1, generateIdentity('x25519').recipient)).wait();
    others.push(w);
  }
  // Nonces counted here from the mined count: Hardhat's 'pending' count (NonceManager's
  // start) was seen one behind after the patient's own `emr register` (NONCE_EXPIRED).
  const writers = [pat, ...others].map((w) => new Contract(deployed.contract, abi, w));
  const nonces = await Promise.all([pat, ...others].map((w) => provider.getTransactionCount(w.address, 'latest')));
  const perTx = Math.max(1, Math.round(RECORDS / ROUNDS / writers.length));
  process.stderr.write(
    `bench: ${ROUNDS} rounds of ${Math.round(BLOCKS / ROUNDS)} empty blocks, then ${writers.length} txs of ${perTx} records\n`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    await rpc(nodeUrl, 'hardhat_mine', ['0x' + Math.round(BLOCKS / ROUNDS).toString(16)]);
    await Promise.all(
      writers.map(async (c, i) => {
        const me = i === 0 ? pat.address : others[i - 1].address;
        const packed = Buffer.concat(
          Array.from({ length: perTx }, (_, k) =>
            Buffer.concat([Buffer.from(me.slice(2), 'hex'), Buffer.from([(round + k) % 8, 0x55]), randomBytes(32)]),
          ),
        );
        await (await c.addRecords('0x' + packed.toString('hex'), { nonce: nonces[i]++ })).wait();
      }),
    );
  }
  provider.destroy();
  const head = Number(BigInt(await rpc(nodeUrl, 'eth_blockNumber')));
  process.stderr.write(`bench: chain of ${head} blocks ready (${fmt(performance.now() - started)})\n`);

  await emr('pat', ['--json', 'agent', 'start', '--timeout', '60m']);
  const asAgent = (args) => run(process.execPath, [...NODE_ARGS, BIN, '--home', home, '--profile', 'pat', '--json', ...args]);
  const dropIndex = () => {
    if (!existsSync(join(home, 'cache'))) return;
    for (const f of readdirSync(join(home, 'cache')).filter((x) => x.startsWith('chain-index-'))) rmSync(join(home, 'cache', f));
  };
  /** One measured run: wall, emr CPU, node CPU, eth_getLogs served. */
  const measure = async (args) => {
    state.getLogs = 0;
    const n0 = nodeCpu();
    const r = await asAgent(args);
    return { ms: r.ms, cpu: r.cpu, nodeCpu: nodeCpu() - n0, getLogs: state.getLogs, data: JSON.parse(r.stdout).data };
  };
  // A new block before each warm run, so it has one new range to ask for.
  const newBlock = () => rpc(nodeUrl, 'hardhat_mine', ['0x1']);
  const rows = { 'record list cold': [], 'record list warm': [], 'audit cold': [], 'audit warm': [] };
  let listed = 0;
  await times(RUNS, async (i) => {
    process.stderr.write(`bench: run ${i + 1}/${RUNS}\n`);
    dropIndex();
    const c = await measure(['record', 'list']);
    listed = c.data.total;
    rows['record list cold'].push(c);
    await newBlock();
    rows['record list warm'].push(await measure(['record', 'list']));
    await newBlock();
    rows['audit warm'].push(await measure(['audit']));
    dropIndex();
    rows['audit cold'].push(await measure(['audit']));
  });
  await emr(undefined, ['--json', 'agent', 'stop']).catch(() => {});

  const goal = (label) => (label.endsWith('cold') ? '≤ 30 s' : '≤ 1 s');
  console.log(
    `\nbench:chain: ${head.toLocaleString('en')} blocks, ${RECORDS.toLocaleString('en')} records of ${PATIENTS} patients ` +
      `(the listed patient: ${listed}), eth_getLogs capped at ${CAP.toLocaleString('en')} blocks by a proxy; Hardhat 2 node; ` +
      `medians of ${RUNS} alternating runs; ${cpus().length} cores, load ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
  );
  console.table(
    Object.entries(rows).map(([label, rs]) => ({
      run: label,
      goal: goal(label),
      wall: fmt(median(rs.map((r) => r.ms))),
      'emr CPU (user+sys)': fmt(median(rs.map((r) => r.cpu))),
      'node CPU': fmt(median(rs.map((r) => r.nodeCpu))),
      eth_getLogs: median(rs.map((r) => r.getLogs)),
      met: median(rs.map((r) => r.ms)) <= (label.endsWith('cold') ? 30_000 : 1_000) ? 'yes' : 'no',
    })),
  );
  console.log('before (issue 26): no index; every run read from the deploy block (or block 0 without --save), as the cold rows do');
  console.log(`set-up and runs took ${fmt(performance.now() - started)}`);
}

async function cleanup() {
  await emr(undefined, ['--json', 'agent', 'stop']).catch(() => {});
  proxy?.closeAllConnections();
  proxy?.close();
  if (node && node.exitCode === null) node.kill('SIGTERM');
  if (!process.env.BENCH_KEEP) rmSync(home, { recursive: true, force: true });
}

main()
  .then(cleanup)
  .catch(async (e) => {
    console.error(e.stack ?? e.message);
    await cleanup();
    process.exitCode = 1;
  });
