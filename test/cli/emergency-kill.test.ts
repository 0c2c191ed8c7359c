// `admin emergency-release` with anvil itself SIGKILLed (issue 8 point 18; docs/TESTING.md
// § 4, SHARING.md § 4.2): the release has stored its key-delivery object and is about to
// send `releaseEmergencyKeys` (failpoint `emergency-release.after-store` armed to STOP,
// TESTING.md § 3) when the devnet's anvil is SIGKILLed. Expected: exit 6 with a hint, the
// object stored but nothing registered; `emr devnet up` restarts the same chain from its
// state file (a `devnet down` just before made anvil dump every block); the same command run
// again releases exactly once, and the provider reads the record.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';
import { emergencyWorld } from '../helpers/emergency-world.js';
import { runStoppedAt } from '../helpers/failpoints.js';
import { waitFor } from '../helpers/wait.js';

const c = clinic();
const { as, ok } = c;
let allergy = '';
let dev: { rpcUrl: string; contract: string };

/** Files under the embedded store's block directory (one file per block). */
function blocks(): number {
  const dir = join(c.home, 'ipfs', 'blocks');
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).length;
}

/** EmergencyKeysReleased events on the (running) devnet. */
async function releases(): Promise<number> {
  const { id } = await import('ethers');
  const logs = (await c.rpc('eth_getLogs', [
    { address: dev.contract, topics: [id('EmergencyKeysReleased(address,address,address,bytes32)')], fromBlock: '0x0', toBlock: 'latest' },
  ])) as unknown[];
  return logs.length;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  // The shared clinic as an emergency world (test/helpers/emergency-world.ts): admin is the
  // consortium, house the ER doctor.
  dev = await emergencyWorld(c);
  allergy = (
    await ok([...as('alice'), 'record', 'add', c.file('allergy.txt', 'Penicillin: anaphylaxis'), '--patient', 'alice', '--type', 'allergy'])
  ).records[0].id;
  await ok([...as('house'), 'emergency', 'open', 'alice', '--reason', 'unconscious in the ER']);
  // SIGTERM makes anvil dump its whole state: the state file now covers every mined block,
  // so the restart after the SIGKILL below is the same chain.
  const down = await c.devnetDown();
  expect(down.code, down.stderr).toBe(0);
  dev = await c.devnetUp('admin');
}, 240_000);

afterAll(async () => {
  await c.devnetDown();
}, 60_000);

describe('emergency release with the chain node SIGKILLed between store and send', () => {
  it('admin emergency-release: anvil SIGKILLed after the key delivery is stored → exit 6 with a hint, nothing registered; devnet up, run again → released once, the provider reads', async () => {
    const pid = (await ok([...as('admin'), 'devnet', 'status'])).pid as number;
    expect(pid).toBeGreaterThan(0);
    const before = blocks();
    expect(await releases()).toBe(0);

    const r = await runStoppedAt(
      [...as('admin'), 'admin', 'emergency-release', 'alice', 'house'],
      'emergency-release.after-store',
      async () => {
        process.kill(pid, 'SIGKILL');
        await waitFor(() => !alive(pid), { timeoutMs: 10_000, what: 'anvil to die' });
      },
    );
    expect(r.stopped).toBe(true);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    // The message names the endpoint; the hint says how to bring the devnet back.
    expect(r.json?.error?.message).toMatch(/^chain endpoint http:\/\/127\.0\.0\.1:\d+ unreachable/);
    expect(r.json?.error?.hint).toMatch(/emr devnet up/);
    // The key-delivery object is stored (new blocks) …
    expect(blocks()).toBeGreaterThan(before);

    // … and nothing is registered: the restarted chain (same state file) has no release.
    const st = await emr([...as('admin'), '--json', 'devnet', 'status']);
    expect(st.json?.data?.running ?? false).toBe(false);
    const up = await ok([...as('admin'), 'devnet', 'up']);
    expect(up.contract).toBe(dev.contract);
    expect(await releases()).toBe(0);

    const again = await ok([...as('admin'), 'admin', 'emergency-release', 'alice', 'house']);
    expect(again.released).toEqual([allergy]);
    expect(await releases()).toBe(1);
    const out = join(c.home, 'er-read.txt');
    await ok([...as('house'), 'fetch', allergy, '-o', out, '--no-receipt']);
    expect(readFileSync(out, 'utf8')).toBe('Penicillin: anaphylaxis');
    const audit = await ok([...as('alice'), 'audit']);
    const released = audit.events.filter((e: { event: string }) => e.event === 'emergency-keys-released');
    expect(released).toHaveLength(1);
    expect(released[0].description).toMatch(/admin released the keys of alice's emergency-visible records to house/);
  }, 240_000);
});
