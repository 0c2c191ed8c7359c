/**
 * Locating and starting anvil (the @foundry-rs/anvil package), shared by the devnet and
 * the test/bench harnesses. Nothing here is module-level state.
 */
import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { childEnv } from '../child-env.js';
import { UnavailableError } from '../errors.js';
import { rpcCall } from './rpc.js';

/** The first anvil dev account (public, well-known: never use it off the devnet). */
export const ANVIL_DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/** The command that runs anvil: the platform binary, else the package's node wrapper. */
export function anvilCommand(): { cmd: string; args: string[] } {
  const require = createRequire(import.meta.url);
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const platform = process.platform === 'win32' ? 'win32' : process.platform;
  try {
    const pkg = require.resolve(`@foundry-rs/anvil-${platform}-${arch}/package.json`);
    const bin = join(dirname(pkg), 'bin', platform === 'win32' ? 'anvil.exe' : 'anvil');
    if (existsSync(bin)) return { cmd: bin, args: [] };
  } catch {
    // fall through to the wrapper
  }
  try {
    return { cmd: process.execPath, args: [require.resolve('@foundry-rs/anvil/bin.mjs')] };
  } catch (e) {
    throw new UnavailableError('anvil is not installed', {
      hint: 'reinstall emr (it depends on @foundry-rs/anvil), or pass --rpc-url to use another chain',
      cause: e,
    });
  }
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1. Only for a port nobody will bind
 * (e.g. "a closed port" in a test): a daemon must bind its own (`startAnvil`), since
 * between close and bind another process may take it.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface SpawnAnvilParameters {
  port: number;
  extraArgs?: string[];
  stdio?: StdioOptions;
  detached?: boolean;
}

export function spawnAnvil(params: SpawnAnvilParameters): ChildProcess {
  const { cmd, args } = anvilCommand();
  return spawn(cmd, [...args, '--host', '127.0.0.1', '--port', String(params.port), ...(params.extraArgs ?? [])], {
    stdio: params.stdio ?? 'ignore',
    detached: params.detached ?? false,
    // DEVNET.md § Child processes: no passphrase or other secret in the child's environ.
    env: childEnv(),
  });
}

/** anvil's start-up line; with `--port 0` the only place the chosen port is told. */
const LISTENING = /Listening on 127\.0\.0\.1:(\d{1,5})\b/;
/** The start-up banner (accounts, keys, config) is ~5 KiB; a line after this much is not coming. */
const BANNER_MAX = 64 * 1024;

export interface StartedAnvil {
  child: ChildProcess;
  port: number;
  url: string;
  chainId: number;
}

/**
 * Starts anvil and returns once it answers. `port` 0 (the default) lets anvil bind a port
 * itself and reads it back from its "Listening on" line, so no other process can take the
 * port between our choice and anvil's bind (freePort's close-then-bind race). A given port
 * that is taken makes anvil exit: UNAVAILABLE, and the caller may retry with 0.
 *
 * `logFile`: anvil's output is appended there (the detached devnet, which outlives us);
 * else it is piped to us and drained. `--silent` must not be in `extraArgs` (it hides the
 * line).
 */
export async function startAnvil(params: {
  port?: number;
  extraArgs?: string[];
  logFile?: string;
  detached?: boolean;
  timeoutMs?: number;
}): Promise<StartedAnvil> {
  const timeoutMs = params.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  const logHint = params.logFile ? `see ${params.logFile}` : 'run anvil by hand to see why';
  let child: ChildProcess;
  let output: () => string;
  if (params.logFile) {
    const from = existsSync(params.logFile) ? statSync(params.logFile).size : 0;
    const log = openSync(params.logFile, 'a');
    child = spawnAnvil({ port: params.port ?? 0, extraArgs: params.extraArgs, stdio: ['ignore', log, log], detached: params.detached });
    closeSync(log);
    output = () => readFrom(params.logFile as string, from, BANNER_MAX);
  } else {
    child = spawnAnvil({
      port: params.port ?? 0,
      extraArgs: params.extraArgs,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: params.detached,
    });
    let seen = '';
    const take = (d: Buffer) => {
      if (seen.length < BANNER_MAX) seen += d.toString('latin1');
    };
    // Drained for the node's whole life: anvil logs every RPC method, a full pipe would stall it.
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    output = () => seen;
  }
  try {
    let port: number | null = null;
    while (port === null) {
      const m = LISTENING.exec(output());
      if (m) port = Number(m[1]);
      else if (child.exitCode !== null || child.signalCode !== null) {
        const why = /address already in use/i.test(output()) ? ` (port ${params.port} is taken)` : '';
        throw new UnavailableError(`anvil exited early (code ${child.exitCode ?? child.signalCode})${why}`, { hint: logHint });
      } else if (Date.now() > deadline || output().length >= BANNER_MAX) {
        throw new UnavailableError('anvil did not say which port it listens on in time', { hint: logHint });
      } else await new Promise((r) => setTimeout(r, 50));
    }
    const url = `http://127.0.0.1:${port}`;
    const chainId = await waitForRpc(url, { child, logHint, timeoutMs: Math.max(1_000, deadline - Date.now()) });
    return { child, port, url, chainId };
  } catch (e) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw e;
  }
}

/** At most `max` bytes of `path` from byte `from` on, as latin1 (only ASCII is matched). */
function readFrom(path: string, from: number, max: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, from);
    return buf.subarray(0, n).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** Polls eth_chainId until it answers or `timeoutMs` passes; returns the chain id. */
export async function waitForRpc(
  rpcUrl: string,
  params: { timeoutMs?: number; child?: ChildProcess; logHint?: string } = {},
): Promise<number> {
  const deadline = Date.now() + (params.timeoutMs ?? 15_000);
  let last: unknown;
  while (Date.now() < deadline) {
    if (params.child && params.child.exitCode !== null) {
      throw new UnavailableError(`anvil exited early (code ${params.child.exitCode})`, {
        hint: params.logHint ?? 'run anvil by hand to see why',
      });
    }
    try {
      return Number(BigInt(await rpcCall<string>(rpcUrl, 'eth_chainId', [], 1_000)));
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new UnavailableError(`anvil did not answer on ${rpcUrl} in time`, {
    hint: params.logHint ?? 'check that the port is free',
    cause: last,
  });
}

/** Adds `wei` to an account's balance on an anvil node (devnet only: anvil_setBalance). */
export async function anvilFund(rpcUrl: string, address: string, wei: bigint = 100n * 10n ** 18n): Promise<void> {
  const current = BigInt(await rpcCall<string>(rpcUrl, 'eth_getBalance', [address, 'latest']));
  await rpcCall(rpcUrl, 'anvil_setBalance', [address, `0x${(current + wei).toString(16)}`]);
}
