/**
 * The shared worlds, made ONCE per run through the built binary, by the first file that asks
 * for one (the others wait for it), and copied by each file that uses them (clinic().fromWorld(),
 * batchWorld() in test/helpers/world.ts; docs/TESTING.md § 1). Made on demand, not in
 * globalSetup, so a run of files that need none does not pay for them.
 * Before, every such file made the same actors in `beforeAll` through ~15 CLI runs (records:
 * ~30 of 95 s; grant-list: 48 of 60 s).
 *
 * - `clinic`: admin (the devnet's first admin), patients alice and bob, providers grey,
 *   house and wilson (registered and verified) and mallory (registered, NOT verified);
 *   alice grants grey lab,note with write for 1y. Passphrase files `<name>.pw` hold
 *   `pass-for-<name>-123`, as clinic()/tempHome() write them.
 * - `batch`: provider dr, the devnet's first admin, registered and verified (batchWorld()).
 *
 * Each is a home whose devnet was brought down: its anvil state dump (<home>/devnet/state.json,
 * anvil --state) holds the chain, so a copy's `emr devnet up` starts its own anvil, on a port
 * it binds itself, at exactly that state (same contract, same accounts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { waitFor } from './wait.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'emr.js');
// KEYSTORE.md § 2.6: the template keystores are test-cost ones, as every file's are.
const ENV = { ...process.env, NO_COLOR: '1', EMR_TEST: '1', EMR_TEST_KDF: 'cheap', EMR_PASSWORD: undefined, EMR_PASSWORD_FILE: undefined };

function run(args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { env: ENV as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out).data);
      else reject(new Error(`shared world: emr ${args.join(' ')} failed (${code}): ${err}${out}`));
    });
  });
}

async function home(h: string, actors: Array<[string, string]>): Promise<{ home: string; as: (who: string) => string[] }> {
  const as = (who: string) => ['--home', h, '--profile', who, '--password-file', join(h, `${who}.pw`)];
  mkdirSync(h, { recursive: true });
  for (const [who] of actors) writeFileSync(join(h, `${who}.pw`), `pass-for-${who}-123\n`, { mode: 0o600 });
  // The first profile becomes the home's default: it goes first, the others side by side.
  const [first, ...rest] = actors;
  await run([...as(first![0]), 'keygen', '--name', first![0], '--role', first![1]]);
  await Promise.all(rest.map(([who, role]) => run([...as(who), 'keygen', '--name', who, '--role', role])));
  return { home: h, as };
}

/** Brings the home's devnet down (anvil dumps its state) and forgets its port, so copies bind their own. */
async function seal(h: string): Promise<void> {
  await run(['--home', h, 'devnet', 'down']);
  const recPath = join(h, 'devnet', 'devnet.json');
  const rec = JSON.parse(readFileSync(recPath, 'utf8'));
  writeFileSync(recPath, `${JSON.stringify({ ...rec, pid: null, start: null, port: 0 }, null, 2)}\n`);
}

async function clinicWorld(h: string): Promise<void> {
  const { as } = await home(h, [
    ['admin', 'admin'],
    ['alice', 'patient'],
    ['bob', 'patient'],
    ['grey', 'provider'],
    ['house', 'provider'],
    ['wilson', 'provider'],
    ['mallory', 'provider'],
  ]);
  await run([...as('admin'), 'devnet', 'up']);
  await Promise.all([
    run([...as('alice'), 'register']),
    run([...as('bob'), 'register']),
    ...['grey', 'house', 'wilson', 'mallory'].map((p) => run([...as(p), 'register', '--role', 'provider'])),
  ]);
  // One sender, one nonce sequence: the admin's verifications go one after the other.
  for (const p of ['grey', 'house', 'wilson']) await run([...as('admin'), 'admin', 'verify', p]);
  await run([...as('alice'), 'grant', 'grey', '--types', 'lab,note', '--write', '--expires', '1y']);
  await seal(h);
}

async function batchWorld(h: string): Promise<void> {
  const { as } = await home(h, [['dr', 'provider']]);
  await run([...as('dr'), 'devnet', 'up']);
  await run([...as('dr'), 'register', '--role', 'provider']);
  await run([...as('dr'), 'admin', 'verify', 'dr']);
  await seal(h);
}

const BUILDERS = { clinic: clinicWorld, batch: batchWorld };

/**
 * The template home of world `name` in this run's temp dir, made if no file made it yet.
 * One file builds (an exclusive mkdir is the lock), the others wait for its `ready` mark;
 * a failed build leaves a `failed` mark with the reason, so no file waits in vain.
 */
export async function sharedWorld(name: keyof typeof BUILDERS): Promise<string> {
  const base = join(inject('suiteTmp'), `world-${name}`);
  const h = join(base, 'home');
  const ready = join(base, 'ready');
  const failed = join(base, 'failed');
  let mine = false;
  try {
    mkdirSync(base);
    mine = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (mine) {
    try {
      await BUILDERS[name](h);
      writeFileSync(ready, '');
    } catch (e) {
      writeFileSync(failed, String((e as Error).message ?? e));
      throw e;
    }
  } else {
    await waitFor(() => existsSync(ready) || existsSync(failed), { timeoutMs: 300_000, intervalMs: 100, what: `the shared ${name} world` });
    if (existsSync(failed)) throw new Error(`the shared ${name} world could not be made: ${readFileSync(failed, 'utf8')}`);
  }
  return h;
}
