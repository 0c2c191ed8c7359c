// Issue 13 point 6: any EVM chain, not only anvil. The whole chain flow (deploy, register,
// verify, grant, add, fetch, revoke, refused fetch, audit) through the built binary against
// a second, independent EVM node — Hardhat 2's `hardhat node` (test/hardhat-node, installed
// by scripts/ensure-hardhat-node.mjs) — reached only with `--rpc-url`/`--contract`, as any
// other chain is (docs/DEVNET.md § 2). emr talks to it through a recording proxy, so the
// test also proves that nothing outside `emr devnet` sends a node-specific method
// (anvil_*, evm_*, hardhat_*): Hardhat answers evm_* too, so success alone would not.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emr, ROOT, tempHome } from '../helpers/cli.js';
import { HARDHAT_CHAIN_ID, rpc, startHardhatNode } from '../helpers/hardhat-node.js';

const skip = process.env.EMR_SKIP_HARDHAT_NODE === '1';

const t = tempHome();
const pw: Record<string, string> = {};
let node: ChildProcess | undefined;
let nodeUrl = '';
let proxy: Server | undefined;
let rpcUrl = '';
let contract = '';
/** Every JSON-RPC method emr sent, in order. */
const methods: string[] = [];
const addr: Record<string, string> = {};

const chainArgs = () => ['--rpc-url', rpcUrl, ...(contract ? ['--contract', contract] : [])];
const as = (who: string) => ['--home', t.home, '--profile', who, '--password-file', pw[who]!, ...chainArgs()];
async function ok(args: string[]) {
  const r = await emr([...args, '--json']);
  expect(r.code, `${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(0);
  return r.json!.data;
}

/** The node (test/helpers/hardhat-node.ts), kept in `node` for afterAll. */
async function startHardhat(): Promise<string> {
  const started = await startHardhatNode(t.home);
  node = started.child;
  return started.url;
}

/** A pass-through proxy in front of the node that records each method name. */
async function startProxy(target: string): Promise<string> {
  proxy = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      try {
        const msg = JSON.parse(body.toString('utf8')) as { method: string } | { method: string }[];
        for (const m of Array.isArray(msg) ? msg : [msg]) methods.push(String(m.method));
      } catch {
        methods.push('<unparsable>');
      }
      const up = request(target, { method: 'POST', headers: { 'content-type': 'application/json' } }, (r) => {
        res.writeHead(r.statusCode ?? 502, { 'content-type': 'application/json' });
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

/** Sends `eth` ether from Hardhat's first (unlocked, pre-funded) account: the test's faucet. */
async function fund(to: string, eth: number): Promise<void> {
  const [from] = (await rpc(nodeUrl, 'eth_accounts')) as string[];
  const hash = await rpc(nodeUrl, 'eth_sendTransaction', [{ from, to, value: `0x${(BigInt(eth) * 10n ** 18n).toString(16)}` }]);
  for (let i = 0; i < 100; i++) {
    const receipt = await rpc(nodeUrl, 'eth_getTransactionReceipt', [hash]);
    if (receipt) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`funding ${to} was never mined`);
}

beforeAll(async () => {
  if (skip) return;
  const started = startHardhat();
  started.catch(() => {}); // awaited below; keeps an early failure from going unhandled
  for (const [name, role] of [
    ['admin', 'admin'],
    ['alice', 'patient'],
    ['grey', 'provider'],
    ['house', 'provider'],
  ] as const) {
    pw[name] = t.pw(name);
    addr[name] = (await ok(['--home', t.home, '--password-file', pw[name]!, 'keygen', '--name', name, '--role', role])).address;
  }
  nodeUrl = await started;
  rpcUrl = await startProxy(nodeUrl);
}, 240_000);

afterAll(async () => {
  proxy?.close();
  if (node && node.exitCode === null) {
    const exited = new Promise((r) => node!.once('exit', r));
    node.kill('SIGTERM');
    const timer = setTimeout(() => node!.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(t.home, { recursive: true, force: true });
}, 60_000);

describe.skipIf(skip)('the chain flow on a second EVM node (Hardhat 2, chain 424242)', () => {
  it('DEVNET.md § 2: off the devnet emr MUST NOT fund anyone; no ether MUST be exit 6 naming the address to fund (Hardhat words it its own way)', async () => {
    const r = await emr([...as('admin'), '--json', 'admin', 'deploy']);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json!.error!.message).toMatch(/too little ether/);
    expect(r.json!.error!.hint).toContain(addr.admin);
    // Nothing was deployed and nothing funded behind the user's back.
    expect(BigInt(await rpc(nodeUrl, 'eth_getBalance', [addr.admin, 'latest']))).toBe(0n);
  });

  it('admin deploy on --rpc-url deploys EmrAccess on chain 424242 with the acting profile as first admin', async () => {
    for (const who of ['admin', 'alice', 'grey', 'house']) await fund(addr[who]!, 10);
    const d = await ok([...as('admin'), 'admin', 'deploy']);
    expect(d).toMatchObject({ chainId: HARDHAT_CHAIN_ID, firstAdmin: addr.admin, saved: false });
    expect(d.contract).toMatch(/^0x[0-9a-fA-F]{40}$/);
    contract = d.contract;
    expect(await rpc(nodeUrl, 'eth_getCode', [contract, 'latest'])).not.toBe('0x');
    expect((await ok(['--home', t.home, ...chainArgs(), 'whois', 'admin'])).admin).toBe(true);
  });

  it('register, admin verify, grant, record add, fetch (signature valid), revoke, fetch refused (exit 3), audit', async () => {
    await ok([...as('alice'), 'register']);
    await ok([...as('grey'), 'register']);
    await ok([...as('house'), 'register']);
    await ok([...as('admin'), 'admin', 'verify', 'grey']);
    await ok([...as('admin'), 'admin', 'verify', 'house']);
    expect(await ok(['--home', t.home, ...chainArgs(), 'whois', 'grey'])).toMatchObject({
      registered: true,
      role: 'provider',
      verified: true,
    });

    await ok([...as('alice'), 'grant', 'grey', '--types', 'lab', '--write', '--expires', '30d']);
    const file = join(t.home, 'lab.txt');
    writeFileSync(file, 'haemoglobin 14.1 g/dL');
    const rec = (await ok([...as('grey'), 'record', 'add', file, '--patient', 'alice', '--type', 'lab'])).records[0];
    expect(rec.id).toBeDefined();

    await ok([...as('alice'), 'grant', 'house', '--types', 'lab', '--expires', '30d']);
    const out = join(t.home, 'house-lab.txt');
    const f = await ok([...as('house'), 'fetch', String(rec.id), '-o', out]);
    expect(f.signatureValid).toBe(true);
    expect(f.author).toBe(addr.grey);
    expect(readFileSync(out, 'utf8')).toBe('haemoglobin 14.1 g/dL');

    await ok([...as('alice'), 'revoke', 'house']);
    const late = join(t.home, 'house-lab-late.txt');
    const r = await emr([...as('house'), '--json', 'fetch', String(rec.id), '-o', late]);
    expect(r.code, r.stderr + r.stdout).toBe(3);
    expect(r.json!.error!.code).toBe('ACCESS_DENIED');
    expect(existsSync(late)).toBe(false);

    const events = (await ok([...as('alice'), 'audit'])).events as { event: string; actor: string; subject: string | null }[];
    const names = events.map((e) => e.event);
    expect(names).toEqual(expect.arrayContaining(['registered', 'granted', 'record-added', 'record-accessed', 'revoked']));
    expect(events.find((e) => e.event === 'revoked')).toMatchObject({ actor: addr.alice, subject: addr.house });
    expect(names.indexOf('revoked')).toBeGreaterThan(names.indexOf('record-accessed'));
  });

  it('DEVNET.md § 2.1: emr MUST send only standard JSON-RPC (eth_*, net_*, web3_*): no anvil_*, evm_* or hardhat_* call', () => {
    expect(methods.length).toBeGreaterThan(0);
    expect(methods.filter((m) => !/^(eth|net|web3)_/.test(m))).toEqual([]);
  });
});

describe('node-specific RPC stays in the devnet code', () => {
  it('no anvil_* / evm_* / hardhat_* method name appears in src/ outside src/chain/devnet.ts and src/chain/anvil.ts', () => {
    const allowed = new Set(['src/chain/devnet.ts', 'src/chain/anvil.ts']);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|js|mjs)$/.test(e.name) && !allowed.has(relative(ROOT, p))) {
          if (/['"`](anvil|evm|hardhat)_[a-zA-Z]/.test(readFileSync(p, 'utf8'))) offenders.push(relative(ROOT, p));
        }
      }
    };
    walk(join(ROOT, 'src'));
    expect(offenders).toEqual([]);
  });
});
