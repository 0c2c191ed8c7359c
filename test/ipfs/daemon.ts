/**
 * Test helper: a real Kubo RPC server on free loopback ports, in a temp IPFS_PATH.
 * Uses a Kubo `ipfs` binary when one is on PATH, else js-ipfs 0.66.1 from
 * test/ipfs-daemon (installed by scripts/ensure-ipfs-daemon.mjs). The `test` profile
 * means: no bootstrap peers, no MDNS, loopback ports chosen by the OS.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const daemonDir = resolve(here, '../ipfs-daemon');
const jsipfs = join(daemonDir, 'node_modules/.bin/jsipfs');
const polyfill = join(daemonDir, 'with-resolvers.mjs');

export interface TestDaemon {
  /** RPC API base URL, e.g. http://127.0.0.1:41234 */
  apiUrl: string;
  /** Its read-only HTTP gateway, e.g. http://127.0.0.1:41235 (parsed from the daemon's start-up lines). */
  gatewayUrl: string | undefined;
  kind: 'kubo' | 'js-ipfs';
  /** Its IPFS_PATH: `startDaemon({ repo })` starts a node again on what a killed one left. */
  repo: string;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: the repo stays as the dying node left it. */
  kill(): Promise<void>;
}

function kuboOnPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v ipfs'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p !== '' ? p : undefined;
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(bin, args, { env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

function waitReady(child: ChildProcess, ms: number): Promise<string> {
  return new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`IPFS daemon not ready in ${ms} ms:\n${out}`)), ms);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/Daemon is ready/.test(out)) {
        clearTimeout(timer);
        ok(out);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`IPFS daemon exited (${code}) before it was ready:\n${out}`));
    });
  });
}

export async function startDaemon(opts: { repo?: string } = {}): Promise<TestDaemon> {
  const kubo = kuboOnPath();
  if (kubo === undefined && !existsSync(jsipfs)) {
    throw new Error('no IPFS daemon for tests: run `node scripts/ensure-ipfs-daemon.mjs` first');
  }
  const fresh = opts.repo === undefined;
  const repo = opts.repo ?? (await mkdtemp(join(tmpdir(), 'emr-ipfsd-')));
  const env: NodeJS.ProcessEnv = { ...process.env, IPFS_PATH: repo };
  let bin: string;
  const args = ['daemon'];
  let initConfig: string | undefined;
  if (kubo !== undefined) {
    bin = kubo;
    if (fresh) run(bin, ['init', '--profile', 'test'], env);
  } else {
    bin = jsipfs;
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${polyfill}`.trim();
    if (fresh) {
      // The daemon initialises the repo itself: one js-ipfs process, not three (init, config,
      // daemon: ~4 CPU-s each to load js-ipfs). js-ipfs's gRPC port is fixed (5003) even in
      // the test profile, hence the config.
      initConfig = join(repo, '..', `${basename(repo)}.init.json`);
      await writeFile(initConfig, JSON.stringify({ Addresses: { RPC: '/ip4/127.0.0.1/tcp/0' } }));
      args.push('--init-profile', 'test', '--init-config', initConfig);
    }
  }
  // A node killed with SIGKILL leaves its repo lock (and API file) behind.
  if (!fresh) for (const f of ['repo.lock', 'api']) await rm(join(repo, f), { recursive: true, force: true });
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let startup = '';
  try {
    startup = await waitReady(child, 60_000);
  } catch (e) {
    child.kill('SIGKILL');
    await rm(repo, { recursive: true, force: true });
    throw e;
  } finally {
    if (initConfig) await rm(initConfig, { force: true });
  }
  const api = (await readFile(join(repo, 'api'), 'utf8')).trim(); // /ip4/127.0.0.1/tcp/N/http
  const port = /\/tcp\/(\d+)/.exec(api)?.[1];
  if (port === undefined) throw new Error(`cannot parse API address ${api}`);
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    gatewayUrl: ((m) => (m ? `http://${m[1]}:${m[2]}` : undefined))(/Gateway[^\n]*?\/ip4\/([\d.]+)\/tcp\/(\d+)/.exec(startup)),
    kind: kubo !== undefined ? 'kubo' : 'js-ipfs',
    repo,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(repo, { recursive: true, force: true });
    },
  };
}
