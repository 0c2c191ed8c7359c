// A chain node that accepts the connection and then never answers (issue 8 point 18; docs/
// CLI.md § Global behaviour, EMR_RPC_TIMEOUT): the devnet's own anvil is SIGSTOPped at the
// moment `record add` has stored its bundle and is about to talk to the chain again (the
// failpoint `record-add.after-store` armed to stop, docs/TESTING.md § 3). Every JSON-RPC
// request after connect MUST give up after EMR_RPC_TIMEOUT seconds with exit 6 and a hint,
// never hold the command for ethers' default of 5 minutes. The vitest timeout bounds the
// run; there is no wall-clock assertion.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, type EmrRun, emr } from '../helpers/cli.js';
import { failpoints, runStoppedAt } from '../helpers/failpoints.js';
import { rpcRecorder } from '../helpers/rpc-recorder.js';
import { waitFor } from '../helpers/wait.js';

const c = clinic();
const { as, ok } = c;
let anvilPid = 0;
let devnet: { rpcUrl: string; contract: string };
let stopped = false;

function cont(): void {
  if (stopped) process.kill(anvilPid, 'SIGCONT');
  stopped = false;
}

/**
 * Runs `start(rpcUrl)` through a recording relay in front of anvil (automine off), waits for
 * the event the test is about, the run in its watched wait for the receipt (send.ts
 * waitWatched: `eth_sendRawTransaction`, then a receipt read, then the nonce read), then
 * SIGSTOPs anvil and returns the run's result;
 * anvil is continued and the relay closed whatever happens. No sleep: the stop meets the
 * receipt wait because the run was seen in it.
 */
async function stopWhilePending(start: (rpc: string[]) => Promise<EmrRun>, what: string): Promise<EmrRun> {
  const relay = await rpcRecorder(devnet.rpcUrl);
  try {
    const run = start(['--rpc-url', relay.url, '--contract', devnet.contract]);
    await waitFor(
      async () =>
        relay.seenInOrder('eth_sendRawTransaction', 'eth_getTransactionReceipt', 'eth_getTransactionCount') &&
        ((await c.rpc('eth_getBlockByNumber', ['pending', false])) as { transactions: unknown[] }).transactions.length > 0,
      { timeoutMs: 60_000, intervalMs: 20, what },
    );
    process.kill(anvilPid, 'SIGSTOP');
    stopped = true;
    return await run;
  } finally {
    cont();
    await relay.close();
  }
}

beforeAll(async () => {
  // The shared clinic (test/helpers/world.ts): alice grants grey lab,note --write.
  devnet = await c.fromWorld();
  anvilPid = (await ok([...as('admin'), 'devnet', 'status'])).pid;
  expect(anvilPid).toBeGreaterThan(0);
}, 180_000);

afterAll(async () => {
  cont();
  await c.devnetDown();
}, 60_000);

describe('a hung chain node (EMR_RPC_TIMEOUT)', () => {
  it('MUST end a command whose node stops answering after connect: exit 6 naming the endpoint, with a hint; a retry once it answers adds the record once', async () => {
    const file = c.file('note.txt', 'hung chain note\n');
    const args = [...as('grey'), 'record', 'add', file, '--patient', 'alice', '--type', 'note'];
    let r;
    try {
      r = await runStoppedAt(
        args,
        'record-add.after-store',
        async () => {
          process.kill(anvilPid, 'SIGSTOP');
          stopped = true;
        },
        // ethers' default would wait 300 s per request: the run is SIGKILLed (code -1) long before.
        { env: { EMR_RPC_TIMEOUT: '2' }, timeoutMs: 60_000 },
      );
    } finally {
      cont();
    }
    expect(r.stopped).toBe(true);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    expect(r.json?.error?.message).toMatch(/^chain endpoint http:\/\/127\.0\.0\.1:\d+ did not answer within 2 s/);
    expect(r.json?.error?.hint).toMatch(/emr devnet up/);
    expect(r.json?.error?.hint).toMatch(/EMR_RPC_TIMEOUT/);
    // Consistent: nothing was registered (the hang met the run before its transaction) and
    // the same command run again, now that the node answers, registers the record once.
    expect((await ok([...as('alice'), 'record', 'list'])).records).toHaveLength(0);
    const again = await ok(args);
    expect(again.records).toHaveLength(1);
    expect((await ok([...as('alice'), 'record', 'list'])).records).toHaveLength(1);
  }, 120_000);

  it('MUST end a command whose node stops answering while its sent transaction waits to be mined: exit 6 naming the transaction; once mined, a retry adds nothing twice', async () => {
    // Interval mining, as on a real chain: the transaction waits in the pool. ethers' own
    // wait() polls for blocks and swallows every failed poll, so with the node stopped
    // the old code waited forever (the helper SIGKILLs it after 60 s).
    await c.rpc('evm_setAutomine', [false]);
    const file = c.file('note-pending.txt', 'pending note\n');
    const args = [...as('grey'), '--json', 'record', 'add', file, '--patient', 'alice', '--type', 'note'];
    const before = (await ok([...as('alice'), 'record', 'list'])).records.length;
    const r = await stopWhilePending(
      (rpc) => emr([...args, ...rpc], { env: { EMR_RPC_TIMEOUT: '2' }, timeoutMs: 60_000 }),
      'the run polling for its receipt',
    );
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    expect(r.json?.error?.message).toMatch(
      /^transaction 0x[0-9a-f]{64} was sent, but chain endpoint http:\/\/127\.0\.0\.1:\d+ did not answer within 2 s/,
    );
    expect(r.json?.error?.hint).toMatch(/may still be mined/);
    // The node answers again and mines the pool: the record is there once, and the same
    // command run again finds it instead of adding it twice.
    await c.rpc('evm_setAutomine', [true]);
    await c.rpc('evm_mine', []);
    expect((await ok([...as('alice'), 'record', 'list'])).records).toHaveLength(before + 1);
    const again = await emr(args);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect((await ok([...as('alice'), 'record', 'list'])).records).toHaveLength(before + 1);
  }, 120_000);

  it('MUST end `admin deploy` whose node stops answering while the deployment waits to be mined: exit 6 naming the transaction', async () => {
    await c.rpc('evm_setAutomine', [false]);
    let r;
    try {
      r = await stopWhilePending(
        (rpc) => emr([...as('admin'), '--json', ...rpc, 'admin', 'deploy'], { env: { EMR_RPC_TIMEOUT: '2' }, timeoutMs: 60_000 }),
        'the deployment run polling for its receipt',
      );
    } finally {
      await c.rpc('evm_setAutomine', [true]);
      await c.rpc('evm_mine', []);
    }
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.json?.error?.message).toMatch(
      /^transaction 0x[0-9a-f]{64} was sent, but chain endpoint http:\/\/127\.0\.0\.1:\d+ did not answer within 2 s/,
    );
  }, 120_000);

  it('MUST end a wait whose receipt reads stop being answered while other reads still are: exit 6 naming the transaction, never an unhandled rejection (exit 1)', async () => {
    // A node (or proxy) that answers block numbers but wedges on the second receipt read.
    // ethers' own wait() polls receipts from a subscriber whose promise nobody handles, so
    // that read's timeout crashed the process with exit 1 (CI, stop 28); the wait MUST be
    // ours, each read bounded and its failure the command's error.
    await c.rpc('evm_setAutomine', [false]);
    const relay = await rpcRecorder(devnet.rpcUrl, { hang: (m, seen) => m === 'eth_getTransactionReceipt' && seen >= 1 });
    let r;
    try {
      const file = c.file('note-wedged.txt', 'wedged receipt note\n');
      r = await emr(
        [
          ...as('grey'),
          '--json',
          '--rpc-url',
          relay.url,
          '--contract',
          devnet.contract,
          'record',
          'add',
          file,
          '--patient',
          'alice',
          '--type',
          'note',
        ],
        { env: { EMR_RPC_TIMEOUT: '2' }, timeoutMs: 60_000 },
      );
    } finally {
      await relay.close();
      await c.rpc('evm_setAutomine', [true]);
      await c.rpc('evm_mine', []);
    }
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.stderr).not.toMatch(/Node\.js v\d+/);
    expect(r.json?.error?.message).toMatch(
      /^transaction 0x[0-9a-f]{64} was sent, but chain endpoint http:\/\/127\.0\.0\.1:\d+ did not answer within 2 s/,
    );
  }, 120_000);

  it('MUST end a command with the exit code of a rejection some library left unhandled, in the JSON error shape, not a crash (exit 1)', async () => {
    const file = c.file('note-stray.txt', 'stray rejection note\n');
    const r = await emr([...as('grey'), '--json', 'record', 'add', file, '--patient', 'alice', '--type', 'note'], {
      env: { ...failpoints('record-add.after-store'), EMR_FAILPOINT_ACTION: 'stray' },
    });
    expect(r.code, r.stderr + r.stdout).toBe(6);
    expect(r.stderr).not.toMatch(/Node\.js v\d+/);
    expect(r.json?.error?.code).toBe('UNAVAILABLE');
    expect(r.json?.error?.message).toBe('a stray rejection (test failpoint)');
  }, 60_000);

  it('EMR_RPC_TIMEOUT that is not a number of seconds in (0, 3600] is a usage error (exit 2)', async () => {
    for (const bad of ['0', '-1', 'soon', '3601']) {
      const r = await emr([...as('alice'), '--json', 'record', 'list'], { env: { EMR_RPC_TIMEOUT: bad } });
      expect(r.code, `${bad}: ${r.stderr}${r.stdout}`).toBe(2);
      expect(r.json?.error?.message).toMatch(/EMR_RPC_TIMEOUT/);
    }
  }, 60_000);
});

describe('the endpoint in messages (docs/DEVNET.md § 2.2)', () => {
  it('MUST show only scheme, host and port of --rpc-url: credentials and an API key in the path never reach an error', async () => {
    const url = 'http://user:s3cretpw@127.0.0.1:1/v3/APIKEY0123456789';
    for (const extra of [[], ['--contract', '0x' + '11'.repeat(20)]]) {
      const r = await emr([...as('alice'), '--json', '--rpc-url', url, ...extra, 'record', 'list']);
      expect(r.code, r.stderr + r.stdout).toBe(6);
      expect(r.json?.error?.message).toMatch(/http:\/\/127\.0\.0\.1:1\/…/);
      for (const secret of ['s3cretpw', 'APIKEY0123456789', 'user:']) expect(r.stdout + r.stderr).not.toContain(secret);
    }
  }, 60_000);
});
