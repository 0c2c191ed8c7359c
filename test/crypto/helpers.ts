import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll } from 'vitest';
import { generateIdentity } from '../../src/crypto/identity.js';

export const AGE_BIN = ['/usr/bin/age', '/usr/local/bin/age'].find((p) => existsSync(p)) ?? null;
export const AGE_MISSING_REASON = 'stock `age` CLI not installed (CI installs it at /usr/bin/age)';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'emr-crypto-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function age(args: string[], input?: Uint8Array): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(AGE_BIN!, args, { input, maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

export function ageKeygen(): { identity: string; recipient: string } {
  const out = execFileSync('/usr/bin/age-keygen', { encoding: 'utf8' });
  const identity = out.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
  const recipient = /public key: (age1\S+)/.exec(out)![1]!;
  return { identity, recipient };
}

/**
 * `n` bytes of the pattern (i * mul + add) & 0xff: not all one byte, so a misplaced chunk
 * shows, and the same for the same arguments. A loop into one buffer: building it through
 * Array.from with a callback took ~100 ms a MiB, more than the encryption under test.
 */
export function patternBytes(n: number, mul: number, add: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * mul + add) & 0xff;
  return b;
}

/** Files left in a directory (to assert that a failure leaves no output or temp file). */
export const filesIn = (dir: string): string[] => readdirSync(dir).sort();

/**
 * The modules of src/crypto as the build compiled them (dist/crypto: `tsc -p .` in
 * scripts/build.mjs, which `npm test` runs first), for a child `node` process to run as the
 * CLI would. Compiling them again here with tsc cost ~5 CPU-s a file. Returns the path of
 * the compiled module named (`age-file` → …/dist/crypto/age-file.js).
 */
export function compiledCrypto(): (module: string) => string {
  const dist = join(__dirname, '..', '..', 'dist', 'crypto');
  if (!existsSync(join(dist, 'age-file.js'))) throw new Error('dist/crypto is missing: run `npm run build` (npm test does)');
  return (module) => join(dist, `${module}.js`);
}

/**
 * The parties of every bundle test: a fixed author and patient (well-known test keys, so
 * vectors stay stable), a fresh age identity, and a temporary directory for the file.
 */
export function bundleWorld(): { readonly dir: string; author: Wallet; patient: Wallet; id: ReturnType<typeof generateIdentity> } {
  let t: { dir: string; cleanup: () => void } | undefined;
  beforeAll(() => {
    t = tempDir();
  });
  afterAll(() => t?.cleanup());
  return {
    get dir() {
      if (!t) throw new Error('bundleWorld().dir is only there inside a test');
      return t.dir;
    },
    author: new Wallet('0x' + '11'.repeat(32)),
    patient: new Wallet('0x' + '22'.repeat(32)),
    id: generateIdentity(),
  };
}
