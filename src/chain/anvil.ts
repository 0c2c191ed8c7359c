/**
 * Locating and starting anvil (the @foundry-rs/anvil package), shared by the devnet and
 * the test/bench harnesses. Nothing here is module-level state.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** A TCP port that was free a moment ago on 127.0.0.1. */
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

export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
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
