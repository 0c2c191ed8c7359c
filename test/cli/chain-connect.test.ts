// Connecting to the chain costs one JSON-RPC round trip (issue 11, goal 3: no network
// auto-detection, set-up reads batched into one request). Counted through a recording
// proxy in front of the devnet, never timed.

import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
let devnet: { rpcUrl: string; contract: string; chainId: number };
let proxy: Server;
let proxyUrl = '';
/** Each HTTP request the proxy saw: the JSON-RPC method names it carried. */
let seen: string[][] = [];
/** When set, the proxy answers with this body instead of forwarding. */
let hostile: string | null = null;

const SETUP = new Set(['eth_chainId', 'eth_getCode', 'eth_getBalance']);
const recordPath = () => join(c.home, 'devnet', 'devnet.json');

beforeAll(async () => {
  await c.keygen([
    ['admin', 'admin'],
    ['bob', 'provider'],
  ]);
  devnet = await c.devnetUp('admin');
  proxy = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const msg = JSON.parse(body.toString('utf8')) as { method: string } | { method: string }[];
      seen.push((Array.isArray(msg) ? msg : [msg]).map((m) => m.method));
      if (hostile !== null) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(hostile);
        return;
      }
      const up = request(devnet.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' } }, (r) => {
        res.writeHead(r.statusCode ?? 502, { 'content-type': 'application/json' });
        r.pipe(res);
      });
      up.end(body);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  proxy?.close();
  await c.devnetDown();
});

function setupRequests(): string[][] {
  return seen.filter((methods) => methods.some((m) => SETUP.has(m)));
}

describe('chain connect (issue 11 goal 3)', () => {
  it('a read command on --rpc-url sends chain id and contract code in ONE request, before anything else', async () => {
    seen = [];
    const r = await emr(['--home', c.home, '--json', '--rpc-url', proxyUrl, '--contract', devnet.contract, 'whois', 'admin']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json!.data.admin).toBe(true);
    expect(seen[0]).toEqual(['eth_chainId', 'eth_getCode']);
    expect(setupRequests()).toHaveLength(1);
  });

  it('a signing command on the devnet: one set-up request, the balance check included', async () => {
    const rec = JSON.parse(readFileSync(recordPath(), 'utf8'));
    writeFileSync(recordPath(), JSON.stringify({ ...rec, rpcUrl: proxyUrl }));
    try {
      seen = [];
      const r = await emr([...c.as('bob'), '--json', 'register']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(seen[0]).toEqual(['eth_chainId', 'eth_getCode', 'eth_getBalance']);
      expect(setupRequests()).toHaveLength(1);
    } finally {
      writeFileSync(recordPath(), JSON.stringify(rec));
    }
  });

  it('an endpoint serving another chain than the recorded one is refused (exit 6), not used', async () => {
    const rec = JSON.parse(readFileSync(recordPath(), 'utf8'));
    writeFileSync(recordPath(), JSON.stringify({ ...rec, chainId: 1 }));
    try {
      const r = await emr(['--home', c.home, '--json', '--rpc-url', devnet.rpcUrl, 'whois', 'admin']);
      expect(r.code).toBe(6);
      expect(r.json!.error!.message).toMatch(/is chain 31337, expected 1/);
    } finally {
      writeFileSync(recordPath(), JSON.stringify(rec));
    }
  });

  it('a hostile endpoint (not a batch answer, or an endless one) fails with exit 6 and a one-line error', async () => {
    const args = ['--home', c.home, '--json', '--rpc-url', proxyUrl, '--contract', devnet.contract, 'whois', 'admin'];
    try {
      hostile = JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
      let r = await emr(args);
      expect(r.code, r.stderr).toBe(6);
      expect(r.json!.error!.message).toMatch(/did not answer JSON-RPC/);
      hostile = '[' + '"x",'.repeat(2_000_000) + '"x"]';
      r = await emr(args);
      expect(r.code, r.stderr).toBe(6);
      expect(r.json!.error!.message).not.toContain('\n');
    } finally {
      hostile = null;
    }
  });

  // A guard for the refactor: without the old probe, a dead devnet is learnt by connecting.
  it('the devnet record pointing at a dead endpoint still says `emr devnet up` (exit 6)', async () => {
    const rec = JSON.parse(readFileSync(recordPath(), 'utf8'));
    writeFileSync(recordPath(), JSON.stringify({ ...rec, rpcUrl: 'http://127.0.0.1:9' }));
    try {
      const r = await emr(['--home', c.home, '--json', 'whois', 'admin']);
      expect(r.code).toBe(6);
      expect(r.json!.error!.message).toBe('the embedded devnet is not running');
      expect(r.json!.error!.hint).toContain('emr devnet up');
    } finally {
      writeFileSync(recordPath(), JSON.stringify(rec));
    }
  });
});
