// Reading logs on a long chain (docs/CONTRACT.md § Reading logs): public endpoints refuse
// wide eth_getLogs ranges, so emr MUST ask in windows that fit the endpoint's cap, halving a
// refused window, and MUST start at the deployment block `admin deploy --save` recorded,
// not at genesis. Driven through the built binary against a capping proxy in front of the
// file's own devnet (test/helpers/log-window-proxy.ts); no clock is asserted.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';
import { type LogWindowProxy, logWindowProxy } from '../helpers/log-window-proxy.js';

const c = clinic();
const { as, ok } = c;
let devnet: { rpcUrl: string; contract: string };
let proxy: LogWindowProxy;
const CAP = 100;

beforeAll(async () => {
  devnet = await c.fromWorld();
  proxy = await logWindowProxy(devnet.rpcUrl, CAP);
}, 180_000);

afterAll(async () => {
  await proxy?.close();
  await c.devnetDown();
});

describe('eth_getLogs in windows (CONTRACT.md § Reading logs)', () => {
  it('MUST read every event of a chain longer than the endpoint’s log range cap, in windows within the cap', async () => {
    await ok([...as('grey'), 'record', 'add', c.file('early.txt', 'early note\n'), '--patient', 'alice', '--type', 'note']);
    await c.rpc('anvil_mine', ['0x3e8']); // 1,000 empty blocks: ten times the cap
    await ok([...as('grey'), 'record', 'add', c.file('late.txt', 'late note\n'), '--patient', 'alice', '--type', 'note']);
    const head = Number(BigInt((await c.rpc('eth_blockNumber')) as string));
    proxy.ranges.length = 0;
    const r = await emr([...as('alice'), '--json', '--rpc-url', proxy.url, '--contract', devnet.contract, 'record', 'list']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json?.data?.records?.length).toBe(2);
    const served = proxy.ranges.filter((x) => !x.refused);
    expect(served.length).toBeGreaterThan(0);
    for (const x of served) expect(x.to - x.from + 1).toBeLessThanOrEqual(CAP);
    // Halving from the first window: a handful of refusals, not one per window.
    expect(proxy.ranges.filter((x) => x.refused).length).toBeLessThanOrEqual(8);
    // The windows served cover genesis to the head without a gap (queries may interleave).
    const sorted = [...served].sort((a, b) => a.from - b.from);
    let at = 0;
    for (const x of sorted) if (x.from <= at) at = Math.max(at, x.to + 1);
    expect(at).toBeGreaterThan(head);
  }, 180_000);

  it('MUST read logs from the deployment block `admin deploy --save` recorded, not from genesis', async () => {
    const cfgPath = join(c.home, 'config.json');
    const before = readFileSync(cfgPath, 'utf8');
    try {
      const d = await ok([...as('admin'), '--rpc-url', proxy.url, 'admin', 'deploy', '--save']);
      expect(JSON.parse(readFileSync(cfgPath, 'utf8')).deployBlock).toBe(d.blockNumber);
      proxy.ranges.length = 0;
      const r = await emr([...as('admin'), '--json', 'audit']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(proxy.ranges.length).toBeGreaterThan(0);
      expect(Math.min(...proxy.ranges.map((x) => x.from))).toBe(d.blockNumber);
    } finally {
      writeFileSync(cfgPath, before);
    }
  }, 120_000);
});
