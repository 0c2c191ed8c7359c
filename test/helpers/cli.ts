/**
 * Drives the built `emr` (dist/bundle/, what bin/emr.js runs) as a user or a batch job
 * would: no TTY, env and stdin under the test's control; in the test's process unless a run
 * needs one of its own (emr() below, docs/TESTING.md § 6).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { deriveTypeKey } from '../../src/keys/derive.js';
import { decryptKeystore, parseKeystore } from '../../src/keys/keystore-v3.js';
import { type TypeSlots, typeSlots } from '../../src/record-types.js';
import { sharedWorld } from './shared-world.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'emr.js');

export interface EmrRun {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  /** The parsed JSON document when stdout held one. */
  json?: { ok: boolean; data?: any; error?: { code: string; message: string; hint: string } };
}

export interface EmrRunOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  cwd?: string;
  /** Killed (SIGKILL) after this long: implies a process of its own. */
  timeoutMs?: number;
  /** A process of its own (signals, exit behaviour, what a child inherits). */
  spawn?: boolean;
}

/** The environment a run sees: the suite's, NO_COLOR, the test's own; never a passphrase from the shell. */
export function runEnv(opts: EmrRunOptions = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', ...opts.env })) if (v !== undefined) env[k] = v;
  if (!opts.env?.EMR_PASSWORD) delete env.EMR_PASSWORD;
  if (!opts.env?.EMR_PASSWORD_FILE) delete env.EMR_PASSWORD_FILE;
  return env;
}

/**
 * Variables that code reads from the process itself rather than from the env main() is given
 * (os.homedir, os.tmpdir, the failpoints of src/failpoint.ts): a run that sets one needs a
 * process of its own.
 */
const PROCESS_ENV = ['HOME', 'XDG_CONFIG_HOME', 'TMPDIR', 'EMR_FAILPOINTS', 'EMR_FAILPOINT_ACTION', 'NODE_OPTIONS'];

/**
 * Runs `emr`. In-process by default (docs/TESTING.md § 6): the built bundle's main(argv, {io, env})
 * with its own stdin, stdout, stderr and environment, the exit code main() returns; the
 * process start and module load (~0.35 CPU-s of a ~0.6 CPU-s run) are paid once per file.
 * A run that needs a process of its own (a cwd, a variable read off the process, a kill at a
 * timeout, or `spawn: true`) gets bin/emr.js as a child, as a user would.
 */
export async function emr(args: string[], opts: EmrRunOptions = {}): Promise<EmrRun> {
  const own =
    opts.spawn ||
    opts.cwd !== undefined ||
    opts.timeoutMs !== undefined ||
    process.env.EMR_TEST_SPAWN === '1' ||
    PROCESS_ENV.some((k) => opts.env && k in opts.env);
  const t0 = performance.now();
  const r = await (own ? emrSpawn(args, opts) : emrInProcess(args, opts));
  // docs/TESTING.md § 6: EMR_TEST_TIMING_LOG=<file> writes one line a run (wall ms, how, file, argv).
  const log = process.env.EMR_TEST_TIMING_LOG;
  if (log) {
    const file = (expect.getState().testPath ?? '').split('/test/').pop();
    const argv = args
      .filter((a) => !a.startsWith('/'))
      .join(' ')
      .replace(/\s+/g, ' ')
      .slice(0, 200);
    appendFileSync(log, `${Math.round(performance.now() - t0)}\t${own ? 'spawn' : 'in'}\t${file}\t${argv}\n`);
  }
  return r;
}

type Main = (argv: string[], o: { io: unknown; env: NodeJS.ProcessEnv }) => Promise<number>;
let mainOnce: Promise<Main> | undefined;
// Node's own loader (require of an ES module), not vitest's module runner: the bundle is
// already built JavaScript, and transforming it again cost ~3 s a file.
const loadBundle = async (path: string): Promise<{ main: Main }> => createRequire(import.meta.url)(path);

async function emrInProcess(args: string[], opts: EmrRunOptions): Promise<EmrRun> {
  mainOnce ??= loadBundle(join(ROOT, 'dist', 'bundle', 'cli.js')).then((m) => m.main);
  const main = await mainOnce;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (to: Buffer[]) =>
    new Writable({
      write(chunk, _enc, cb) {
        to.push(Buffer.from(chunk));
        cb();
      },
    });
  const stdin = Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input)]);
  const stdout = sink(out);
  const stderr = sink(err);
  let code: number;
  try {
    code = await main(args, { io: { stdin, stdout, stderr }, env: runEnv(opts) });
  } catch (e) {
    // What bin/emr.js would do with an error main() let through: Node prints it, exit 1.
    err.push(Buffer.from(`${(e as Error)?.stack ?? String(e)}\n`));
    code = 1;
  }
  return result(code, out, err);
}

function result(code: number, out: Buffer[], err: Buffer[]): EmrRun {
  const stdoutBytes = Buffer.concat(out);
  const stdout = stdoutBytes.toString('utf8');
  let json: EmrRun['json'];
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr: Buffer.concat(err).toString('utf8'), stdoutBytes, json };
}

/** bin/emr.js as a child process, no TTY, env and stdin under the test's control. */
function emrSpawn(args: string[], opts: EmrRunOptions = {}): Promise<EmrRun> {
  return new Promise((resolve, reject) => {
    const env = runEnv(opts);
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: opts.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(result(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : -1), out, err));
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** A throw-away home with a passphrase file per actor. */
export function tempHome(): { home: string; pw(name: string, pass?: string): string } {
  const home = mkdtempSync(join(tmpdir(), 'emr-test-'));
  return {
    home,
    pw(name, pass = `pass-for-${name}-123`) {
      const f = join(home, `${name}.pw`);
      writeFileSync(f, pass + '\n', { mode: 0o600 });
      return f;
    },
  };
}

/**
 * A clinic in a throw-away home, driven through the binary: each actor gets a profile and
 * its own passphrase file; `ok` runs a command with --json and insists on exit 0.
 */
export function clinic(extraArgs: string[] = []) {
  const t = tempHome();
  const pw: Record<string, string> = {};
  let rpcUrl = '';
  const as = (who: string) => ['--home', t.home, '--profile', who, '--password-file', (pw[who] ??= t.pw(who)), ...extraArgs];
  async function ok(args: string[]): Promise<any> {
    const r = await emr([...args, '--json']);
    expect(r.code, `${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(0);
    return r.json!.data;
  }
  async function devnetUp(admin: string): Promise<{ rpcUrl: string; contract: string; chainId: number }> {
    const d = await ok([...as(admin), 'devnet', 'up']);
    rpcUrl = d.rpcUrl;
    return d;
  }
  return {
    home: t.home,
    as,
    ok,
    /**
     * The run's shared clinic (test/helpers/shared-world.ts: admin; patients alice, bob; providers
     * grey, house, wilson verified, mallory not; alice grants grey lab,note --write 1y),
     * copied into this home, its devnet up on a port of its own at the template's state.
     * Instead of `keygen` + `devnetUp` + register/verify/grant in `beforeAll`.
     */
    async fromWorld(): Promise<{ rpcUrl: string; contract: string; chainId: number }> {
      cpSync(await sharedWorld('clinic'), t.home, { recursive: true });
      return devnetUp('admin');
    },
    /** Makes the profiles: [name, role] pairs. */
    async keygen(actors: ReadonlyArray<readonly [string, string]>) {
      for (const [name, role] of actors) await ok([...as(name), 'keygen', '--name', name, '--role', role]);
    },
    devnetUp,
    devnetDown: () => emr(['--home', t.home, 'devnet', 'down']),
    /** A raw JSON-RPC call to the devnet (anvil's evm_increaseTime, anvil_setBalance, …). */
    async rpc(method: string, params: unknown[] = []): Promise<unknown> {
      const res = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      });
      return ((await res.json()) as { result: unknown }).result;
    },
    /**
     * A profile's type slots (docs/CONTRACT.md § Privacy) as its own client derives them from
     * its account key: for tests that speak to the contract directly, as a key holder would.
     */
    async slotsOf(who: string): Promise<TypeSlots> {
      const ks = parseKeystore(readFileSync(join(t.home, 'keystore', `${who}.json`), 'utf8'));
      const pass = new TextEncoder().encode(readFileSync((pw[who] ??= t.pw(who)), 'utf8').trim());
      const { privateKey } = await decryptKeystore(ks, pass);
      const key = deriveTypeKey(privateKey);
      try {
        return typeSlots(key);
      } finally {
        key.fill(0);
        privateKey.fill(0);
      }
    },
    /** A profile's address, from its public profile file (no `emr whois` run). */
    address(who: string): string {
      return JSON.parse(readFileSync(join(t.home, 'profiles', `${who}.json`), 'utf8')).address;
    },
    file(name: string, text: string): string {
      const f = join(t.home, name);
      writeFileSync(f, text);
      return f;
    },
  };
}
