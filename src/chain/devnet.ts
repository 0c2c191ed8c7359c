/**
 * The embedded devnet (docs/CLI.md § Network, `emr devnet up|down|status`): one anvil per
 * home, detached so it outlives the CLI process, its state dumped to
 * <home>/devnet/state.json so chain and contract survive down/up. Facts about the
 * running node live in <home>/devnet/devnet.json.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Signer } from 'ethers';
import { JsonRpcProvider, Network } from 'ethers/providers';
import { UnavailableError, UsageError } from '../errors.js';
import { acquireLock, type Lock, processCommandLine, processStartTime } from '../lock.js';
import { anvilFund, type StartedAnvil, startAnvil } from './anvil.js';
import { deployContract } from './deploy.js';
import { rpcCall } from './rpc.js';

export interface DevnetRecord {
  pid: number | null;
  /** Start time of `pid` (/proc/<pid>/stat field 22): tells our anvil from a later process that reuses the PID (DEVNET.md § Stopping). */
  start?: string | null;
  port: number;
  rpcUrl: string;
  chainId: number;
  contract: string | null;
  deployBlock: number;
}

export interface DevnetStatus {
  running: boolean;
  rpcUrl: string | null;
  chainId: number | null;
  contract: string | null;
  pid: number | null;
  deployBlock: number;
}

function devnetDir(home: string): string {
  return join(home, 'devnet');
}

function recordPath(home: string): string {
  return join(devnetDir(home), 'devnet.json');
}

export function readDevnetRecord(home: string): DevnetRecord | null {
  try {
    return JSON.parse(readFileSync(recordPath(home), 'utf8')) as DevnetRecord;
  } catch {
    return null;
  }
}

function writeRecord(home: string, rec: DevnetRecord): void {
  const path = recordPath(home);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(rec, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

function pidAlive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * DEVNET.md § Stopping: the recorded PID is our anvil only when it is alive, started at
 * the recorded time, and its command line is anvil serving the recorded port. A PID the
 * system gave to another process since is never signalled. (Without /proc, e.g. macOS,
 * only liveness can be checked.)
 */
function isOurAnvil(rec: DevnetRecord): boolean {
  if (!pidAlive(rec.pid)) return false;
  const pid = rec.pid as number;
  const start = processStartTime(pid);
  if (start === null && processCommandLine(pid) === null) return process.platform !== 'linux';
  if (rec.start != null && start !== rec.start) return false;
  const cmd = processCommandLine(pid) ?? '';
  // A node that bound its own port (`--port 0`) is told apart by its recorded start time.
  const ownPort = cmd.includes(`--port ${rec.port}`) || (rec.start != null && / --port 0( |$)/.test(cmd));
  return /anvil/.test(cmd) && ownPort;
}

/** One `devnet up`/`down` at a time per home (DEVNET.md § Locks). */
function devnetLock(home: string, what: string): Lock {
  mkdirSync(devnetDir(home), { recursive: true });
  return acquireLock(
    join(devnetDir(home), 'devnet.lock'),
    `another \`emr ${what}\` for this home`,
    'wait for it to finish, then run the command again',
  );
}

async function answers(rpcUrl: string): Promise<number | null> {
  try {
    // The process is already known to be our anvil (isOurAnvil): this only asks whether it
    // answers. 1 s was too short on a loaded 2-core machine, and `up` then started a second
    // anvil beside a live one (seen as "the embedded devnet is not running" mid-test).
    return Number(BigInt(await rpcCall<string>(rpcUrl, 'eth_chainId', [], 5_000)));
  } catch {
    return null;
  }
}

async function hasCode(rpcUrl: string, address: string | null): Promise<boolean> {
  if (!address) return false;
  const code = await rpcCall<string>(rpcUrl, 'eth_getCode', [address, 'latest']);
  return typeof code === 'string' && code !== '0x';
}

export async function devnetStatus(params: { home: string }): Promise<DevnetStatus> {
  const rec = readDevnetRecord(params.home);
  if (!rec) return { running: false, rpcUrl: null, chainId: null, contract: null, pid: null, deployBlock: 0 };
  const running = isOurAnvil(rec) && (await answers(rec.rpcUrl)) !== null;
  return {
    running,
    rpcUrl: rec.rpcUrl,
    chainId: rec.chainId,
    contract: rec.contract,
    pid: running ? rec.pid : null,
    deployBlock: rec.deployBlock,
  };
}

/** Starts anvil if it is not running (same port when still free), returns the record. */
async function ensureRunning(home: string): Promise<DevnetRecord> {
  const prev = readDevnetRecord(home);
  if (prev && isOurAnvil(prev)) {
    const chainId = await answers(prev.rpcUrl);
    if (chainId !== null) return { ...prev, chainId };
  }
  const dir = devnetDir(home);
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, 'anvil.log');
  const start = (port: number): Promise<StartedAnvil> =>
    startAnvil({
      port,
      // --state loads the dump at start and writes it on exit; the interval bounds what a
      // crash (SIGKILL, power loss) can lose.
      extraArgs: ['--state', join(dir, 'state.json'), '--state-interval', '10'],
      logFile: logPath,
      detached: true,
    });
  // DEVNET.md § 1: the old port when anvil can still bind it, else one anvil binds itself
  // (--port 0, read back): no port is chosen by us and closed before anvil binds it.
  let started: StartedAnvil | undefined;
  if (prev?.port) started = await start(prev.port).catch(() => undefined);
  started ??= await start(0);
  const { child, port, url: rpcUrl, chainId } = started;
  child.unref();
  const rec: DevnetRecord = {
    pid: child.pid ?? null,
    start: child.pid ? processStartTime(child.pid) : null,
    port,
    rpcUrl,
    chainId,
    contract: prev?.contract ?? null,
    deployBlock: prev?.deployBlock ?? 0,
  };
  writeRecord(home, rec);
  return rec;
}

/**
 * `emr devnet up`: idempotent. Starts the node if needed, deploys the contract with
 * `signer` as first admin unless the recorded one still has code, funds `fund`.
 */
export async function devnetUp(params: { home: string; signer: Signer; fund?: string[] }): Promise<DevnetStatus> {
  const lock = devnetLock(params.home, 'devnet up');
  try {
    return await up(params);
  } finally {
    lock.release();
  }
}

async function up(params: { home: string; signer: Signer; fund?: string[] }): Promise<DevnetStatus> {
  const rec = await ensureRunning(params.home);
  if (!(await hasCode(rec.rpcUrl, rec.contract))) {
    const provider = new JsonRpcProvider(rec.rpcUrl, Network.from(rec.chainId), { staticNetwork: true, pollingInterval: 200 });
    try {
      const admin = await params.signer.getAddress();
      await anvilFund(rec.rpcUrl, admin);
      const signer = params.signer.connect(provider);
      const deployed = await deployContract({ signer, firstAdmin: admin });
      rec.contract = deployed.address;
      rec.deployBlock = deployed.blockNumber;
      writeRecord(params.home, rec);
    } finally {
      provider.destroy();
    }
  }
  for (const a of params.fund ?? []) await anvilFund(rec.rpcUrl, a);
  return devnetStatus({ home: params.home });
}

/** `emr devnet down`: SIGTERM (anvil then dumps its state), wait, SIGKILL as a last resort. */
export async function devnetDown(params: { home: string; timeoutMs?: number }): Promise<{ stopped: boolean }> {
  if (!devnetExists(params.home)) return { stopped: false };
  const lock = devnetLock(params.home, 'devnet down');
  try {
    return await down(params);
  } finally {
    lock.release();
  }
}

async function down(params: { home: string; timeoutMs?: number }): Promise<{ stopped: boolean }> {
  const rec = readDevnetRecord(params.home);
  if (!rec || !isOurAnvil(rec)) {
    if (rec) writeRecord(params.home, { ...rec, pid: null });
    return { stopped: false };
  }
  const pid = rec.pid as number;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + (params.timeoutMs ?? 15_000);
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isOurAnvil(rec)) {
    process.kill(pid, 'SIGKILL');
    throw new UnavailableError('the devnet did not stop in time and was killed', {
      hint: 'recent state may be lost; run `emr devnet up` again',
    });
  }
  writeRecord(params.home, { ...rec, pid: null });
  return { stopped: true };
}

/** Gives an account 100 ETH on the running devnet (anvil_setBalance: no nonce races). */
export async function fundAccount(home: string, address: string, wei?: bigint): Promise<void> {
  const rec = readDevnetRecord(home);
  if (!rec || !isOurAnvil(rec)) {
    throw new UsageError('the devnet is not running', { hint: 'run `emr devnet up` first' });
  }
  await anvilFund(rec.rpcUrl, address, wei);
}

export function devnetExists(home: string): boolean {
  return existsSync(recordPath(home));
}
