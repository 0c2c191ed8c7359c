/**
 * The second EVM node of the suite: Hardhat 2's `hardhat node` (test/hardhat-node, installed
 * by scripts/ensure-hardhat-node.mjs), started on port 0 (the OS picks a free port while
 * binding; it is read back from the node's banner, so no other process can take it between
 * choosing and binding), then waited for until eth_chainId answers. Used by
 * test/cli/second-evm.test.ts and test/cli/observer.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const HH_DIR = join(import.meta.dirname, '..', 'hardhat-node');
const HH_CLI = join(HH_DIR, 'node_modules', 'hardhat', 'internal', 'cli', 'bootstrap.js');
/** test/hardhat-node/hardhat.config.cjs: deliberately not anvil's 31337. */
export const HARDHAT_CHAIN_ID = 424242;

/** One raw JSON-RPC call (no ethers: what any observer or script can do). */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Starts the node; a node that fails to start is killed before the error is thrown. */
export async function startHardhatNode(home: string): Promise<{ child: ChildProcess; url: string }> {
  if (!existsSync(HH_CLI))
    throw new Error('test/hardhat-node is not installed: run `node scripts/ensure-hardhat-node.mjs` (npm test does it)');
  // A clean environment: nothing of the caller's (no EMR_* secret) reaches the node.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? home, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', NO_COLOR: '1' };
  const child = spawn(process.execPath, [HH_CLI, 'node', '--hostname', '127.0.0.1', '--port', '0'], {
    cwd: HH_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let log = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hardhat node did not start within 120 s:\n${log.slice(-2000)}`)), 120_000);
      const onData = (d: Buffer) => {
        log = (log + d.toString('utf8')).slice(-100_000);
        const m = /JSON-RPC server at (http:\/\/127\.0\.0\.1:(\d+))\//.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`hardhat node exited (${code}):\n${log.slice(-2000)}`));
      });
    });
    for (let i = 0; i < 200; i++) {
      try {
        if (Number(await rpc(url, 'eth_chainId')) === HARDHAT_CHAIN_ID) return { child, url };
      } catch {
        // not answering yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('hardhat node never answered eth_chainId');
  } catch (e) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw e;
  }
}
