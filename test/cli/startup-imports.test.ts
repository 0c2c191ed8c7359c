/**
 * Issue 11: a command loads only what it uses. Each run below goes through the binary with a
 * module hook (NODE_OPTIONS=--import) that logs every module resolved and every CommonJS
 * module required. The binary runs the esbuild bundle (dist/bundle/, README § Build), so each
 * bundle file loaded is expanded into the source files it holds (dist/bundle-meta.json, the
 * build's metafile); then the log is checked for the heavy packages the command must not load:
 * ethers (~0.3 s), the IPFS stack and the chain client, the prompt and spinner packages when
 * no terminal is attached, zxcvbn on an unlock, FHIR. A control run (keygen, which judges a
 * new passphrase) shows the probe does see a package once it is needed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { emr, ROOT, tempHome } from '../helpers/cli.js';

const HEAVY: Record<string, RegExp> = {
  ethers: /\/node_modules\/ethers\//,
  'chain client (src/chain)': /\/src\/chain\//,
  'IPFS stack (src/ipfs, multiformats, @ipld)': /\/src\/ipfs\/|\/node_modules\/(multiformats|@ipld)\//,
  '@inquirer/prompts': /\/node_modules\/@inquirer\//,
  'ora / string-width': /\/node_modules\/(ora|string-width)\//,
  zxcvbn: /\/node_modules\/@zxcvbn-ts\//,
  fhir: /\/node_modules\/fhir\/|\/src\/fhir\//,
};

/** The build's metafile: each bundle output and the source files in it. */
const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle-meta.json'), 'utf8')) as {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
};

/** The logged module URLs, with each bundle file replaced by the sources it holds. */
function expandBundle(log: string): string {
  return log
    .split('\n')
    .flatMap((line) => {
      const m = /\/(dist\/bundle\/[^/]+\.js)$/.exec(line);
      if (!m?.[1]) return [line];
      const out = meta.outputs[m[1]];
      if (!out) throw new Error(`${m[1]} is not in dist/bundle-meta.json: a stale bundle file`);
      return [line, ...Object.keys(out.inputs).map((i) => `/${i}`)];
    })
    .join('\n');
}

let home: string;
let pw: string;
let hook: string;
let log: string;

beforeAll(async () => {
  const t = tempHome();
  home = t.home;
  pw = t.pw('alice', 'correct horse battery staple 9!');
  log = join(home, 'modules.log');
  const resolver = join(home, 'resolve-hook.mjs');
  writeFileSync(
    resolver,
    `import { appendFileSync } from 'node:fs';
     export async function resolve(s, c, n) { const r = await n(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }`,
  );
  hook = join(home, 'register.mjs');
  writeFileSync(
    hook,
    `import { register, createRequire } from 'node:module';
     import { appendFileSync } from 'node:fs';
     register(${JSON.stringify(pathToFileURL(resolver).href)});
     const require = createRequire(import.meta.url);
     process.on('exit', () => appendFileSync(${JSON.stringify(log)}, Object.keys(require.cache).join('\\n') + '\\n'));`,
  );
  const r = await emr(['--home', home, '--password-file', pw, 'keygen', '--name', 'alice']);
  expect(r.code, r.stderr).toBe(0);
  writeFileSync(join(home, 'note.txt'), 'x');
}, 120_000);

/** Every module a run of `emr args` loaded (bundle files expanded to their sources). */
async function modulesLoaded(args: string[], exitCode = 0): Promise<string> {
  writeFileSync(log, '');
  const r = await emr(['--home', home, '--password-file', pw, ...args], { env: { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` } });
  expect(r.code, r.stderr).toBe(exitCode);
  const loaded = expandBundle(readFileSync(log, 'utf8'));
  // The probe ran, on the bundle, and the metafile maps it back to the sources.
  expect(loaded).toMatch(/\/dist\/bundle\/cli\.js$/m);
  expect(loaded).toMatch(/^\/src\/cli\.ts$/m);
  return loaded;
}

/** The heavy packages a run of `emr args` loaded. */
async function heavyLoaded(args: string[]): Promise<string[]> {
  const loaded = await modulesLoaded(args);
  return Object.entries(HEAVY)
    .filter(([, re]) => re.test(loaded))
    .map(([name]) => name);
}

describe('start-up: a command loads only what it uses (issue 11)', () => {
  it('`emr --help` loads none of the heavy packages', async () => {
    expect(await heavyLoaded(['--help'])).toEqual([]);
  }, 60_000);

  it('`emr encrypt --self` (unlock, sign) loads no ethers, chain, IPFS, prompt, spinner, zxcvbn or FHIR', async () => {
    expect(await heavyLoaded(['encrypt', join(home, 'note.txt'), '--self', '-o', join(home, 'note.age')])).toEqual([]);
  }, 60_000);

  it('`emr decrypt` of a signed bundle (unlock, verify the signature) loads none of them either', async () => {
    expect(await heavyLoaded(['decrypt', join(home, 'note.age'), '-o', join(home, 'note.out')])).toEqual([]);
    expect(readFileSync(join(home, 'note.out'), 'utf8')).toBe('x');
  }, 60_000);

  it('a chain read (whois) loads the JSON-RPC client of ethers, not its WebSocket, Etherscan or fallback providers, its wordlists or the IPFS stack', async () => {
    // Before, one lazy `import('ethers')` (for the Wallet) kept all of ethers in the chunk
    // every chain command compiled: 990 KB, ws and eight wordlists included (issue 11 goal 3).
    // No node answers at port 9: the command loads its chain modules, then exits 6.
    const loaded = await modulesLoaded(
      ['whois', 'alice', '--rpc-url', 'http://127.0.0.1:9', '--contract', '0x5FbDB2315678afecb367f032d93F642f64180aa3'],
      6,
    );
    expect(loaded).toMatch(/\/node_modules\/ethers\/lib\.esm\/providers\/provider-jsonrpc\.js$/m);
    const unused = loaded
      .split('\n')
      .filter((m) => /\/node_modules\/ws\/|provider-(etherscan|fallback|socket|websocket)\.js$|\/wordlists\/lang-|\/aes-js\//.test(m));
    expect(unused).toEqual([]);
    // Nor the record store it does not use (session/chain-session.ts).
    expect(loaded).not.toMatch(HEAVY['IPFS stack (src/ipfs, multiformats, @ipld)'] as RegExp);
  }, 60_000);

  it('`emr --help` loads no part of the web view (src/ui is loaded by `emr ui` alone, issue 23)', async () => {
    expect(await modulesLoaded(['--help'])).not.toMatch(/\/src\/ui\//);
  }, 60_000);

  it('`emr --help` loads no keystore, profile store or curve code (the context loads with a command, src/commands/new-context.ts)', async () => {
    // Before, keygen's and batch add's command files reached src/keys/profiles.ts and
    // src/context.ts statically, and with them noble's secp256k1 (71 KB) and the hashes.
    const loaded = await modulesLoaded(['--help']);
    const unused = loaded
      .split('\n')
      .filter((m) => /\/node_modules\/@noble\/|\/src\/keys\/(profiles|keystore-v3)\.ts$|\/src\/context\.ts$/.test(m));
    expect(unused).toEqual([]);
  }, 60_000);

  it('control: a command run loads the context and the keystore code, so the probe above can see them', async () => {
    const loaded = await modulesLoaded(['key', 'list']);
    expect(loaded).toMatch(/^\/src\/context\.ts$/m);
    expect(loaded).toMatch(/^\/src\/keys\/profiles\.ts$/m);
  }, 60_000);

  it('control: `emr ui --listen` with a bad address loads src/ui, so the probe above can see it', async () => {
    expect(await modulesLoaded(['ui', '--listen', 'nowhere'], 2)).toMatch(/\/src\/ui\/serve\.ts$/m);
  }, 60_000);

  it('control: keygen judges a new passphrase, and the probe sees zxcvbn load', async () => {
    expect(await heavyLoaded(['keygen', '--name', 'bob'])).toContain('zxcvbn');
  }, 60_000);

  it('control: a package inside a bundle chunk is seen too (ethers, for a mnemonic)', async () => {
    const out = join(home, 'words.txt');
    expect(await heavyLoaded(['key', 'export', 'alice', '--format', 'mnemonic', '-o', out])).toContain('ethers');
  }, 60_000);
});
