/**
 * Start-up: the encrypt/decrypt path of X25519 age files and of signed bundles must not load
 * ethers (~0.3 s: bundle signatures are made and checked with noble, issue 11) or ML-KEM
 * (~0.1 s, loaded on first use of a post-quantum key).
 * Checked in a child node running the compiled module, with a resolve hook logging imports
 * and the require cache (ML-KEM is loaded with require for its synchronous callers).
 */

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledCrypto, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
let compiled: (module: string) => string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  compiled = compiledCrypto();
});
afterAll(() => cleanup());

describe('lazy imports', () => {
  it('ethers never loads to sign or check a bundle; ML-KEM only when a PQ key is used', () => {
    const log = join(dir, 'imports.log');
    const hook = `import { appendFileSync } from 'node:fs'; export async function resolve(s, c, n) { appendFileSync(${JSON.stringify(log)}, s + '\\n'); return n(s, c); }`;
    const code = `
      import { register, createRequire } from 'node:module';
      import { writeFileSync, readFileSync } from 'node:fs';
      writeFileSync(${JSON.stringify(log)}, '');
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      const require = createRequire(import.meta.url);
      const seen = () => ({
        ethers: readFileSync(${JSON.stringify(log)}, 'utf8').split('\\n').includes('ethers'),
        mlkem: Object.keys(require.cache).some((k) => k.includes('@noble/post-quantum')),
      });
      const m = {};
      for (const p of ${JSON.stringify(['age-file', 'identity', 'bundle', 'typed-data-signer'].map((n) => compiled(n)))}) Object.assign(m, await import(p));
      const id = m.generateIdentity();
      writeFileSync('lz', 'hello');
      await m.encryptFile({ recipients: [id.recipient], input: 'lz', output: 'lz.age' });
      await m.decryptFile({ identities: [id.identity], input: 'lz.age', output: 'lz.out' });
      const plain = await m.decryptBundle({ input: 'lz.age', output: 'lz.out2', identities: [id.identity] });
      const afterAge = seen();
      const w = m.keyTypedDataSigner(new Uint8Array(32).fill(0x11));
      await m.encryptBundle({ input: 'lz', output: 'lz.b', recipients: [id.recipient], meta: { patient: w.address, author: w.address, type: 'x' }, signer: w });
      const r = await m.decryptBundle({ input: 'lz.b', output: 'lz.b.out', identities: [id.identity] });
      const afterBundle = seen();
      m.generateIdentity('mlkem768x25519');
      console.log(JSON.stringify({ plain: plain.signed, signed: r.signed, afterAge, afterBundle, afterPq: seen() }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: dir, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.plain).toBe(false);
    expect(r.signed).toBe(true);
    expect(r.afterAge).toEqual({ ethers: false, mlkem: false });
    // A signed bundle made and checked, still without ethers (it was loaded here before).
    expect(r.afterBundle).toEqual({ ethers: false, mlkem: false });
    // Control: the same probe does see a package once it is needed.
    expect(r.afterPq.mlkem).toBe(true);
  }, 60_000);
});
