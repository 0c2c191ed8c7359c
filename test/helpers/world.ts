/**
 * The one test world builder (issue 9; docs/TESTING.md § 1). Every test that needs a chain,
 * a contract, actors, homes or a store builds it here, once per FILE (in `beforeAll`):
 *
 * - `chainWorld()`: a fresh contract on the run's shared anvil (`inject('anvilUrl')`,
 *   test/setup/anvil.ts) and in-process actors: fresh random wallets funded with
 *   anvil_setBalance, so parallel files never share nonces or state.
 * - `privateChain()`: an anvil of this file's own, for tests that move the clock
 *   (evm_increaseTime is global to a node); pass its `url` to `chainWorld`.
 * - `clinic()` / `tempHome()` / `emr()`: homes and profiles driven through the built binary
 *   (test/helpers/cli.ts, re-exported here).
 * - `batchWorld()`: a provider home on its own devnet, with patients made in-process by the
 *   same `fundedActor` as `chainWorld`'s.
 *
 * SHARED WORLDS (issue 27; test/helpers/shared-world.ts makes them once per run, on first
 * use: anvil state dump + home template). A new file that needs the usual actors does NOT make them through the CLI:
 *
 *     const c = clinic();
 *     beforeAll(async () => { devnet = await c.fromWorld(); });   // then c.as('alice'), …
 *     afterAll(async () => { await c.devnetDown(); });
 *
 * gives admin (first admin), patients alice and bob (registered), providers grey, house and
 * wilson (registered, verified) and mallory (registered, not verified), alice → grey
 * lab,note --write 1y, on an anvil of the file's own (port 0) loaded from the dump: change
 * that world as you like, no other file sees it. Actors outside it: `c.keygen` + register
 * as before. `batchWorld()` copies the batch world (provider dr) the same way. Temp dirs need
 * no cleanup of your own: each file's TMPDIR is swept when it ends (TESTING.md § 5), but stop
 * what you start (`devnetDown`).
 *
 * test/chain/helpers.ts and test/batch/fixture.ts re-export from here under their old names.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexlify, JsonRpcProvider, Network, randomBytes, Wallet } from 'ethers';
import { inject } from 'vitest';
import { anvilFund, startAnvil } from '../../src/chain/anvil.js';
import { connectChain } from '../../src/chain/client.js';
import { deployContract } from '../../src/chain/deploy.js';
import { grant } from '../../src/chain/grant.js';
import { register } from '../../src/chain/register.js';
import type { EmrChain } from '../../src/chain/types.js';
import { verifyProvider } from '../../src/chain/verify-provider.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { replicatedStore } from '../../src/ipfs/replicated.js';
import { openStore, type RecordStore } from '../../src/ipfs/store.js';
import { deriveTypeKey } from '../../src/keys/derive.js';
import { RECORD_TYPES, type TypeSlots, typeSlots, UNKEYED } from '../../src/record-types.js';
import { publishKeyDelivery } from '../../src/records/key-delivery.js';
import { type EmrRun, emr, tempHome } from './cli.js';
import { sharedWorld } from './shared-world.js';

export { BIN, clinic, type EmrRun, type EmrRunOptions, emr, ROOT, tempHome } from './cli.js';

export const X25519_RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

// ---------------------------------------------------------------------------------------
// Actors and chains

export interface Actor {
  wallet: Wallet;
  address: string;
  chain: EmrChain;
}

/**
 * A wallet of a fresh random key. Not Wallet.createRandom(): that derives a BIP-39 mnemonic
 * first (PBKDF2, ~17 ms here), and the suite makes hundreds of actors.
 */
export const randomWallet = (): Wallet => new Wallet(hexlify(randomBytes(32)));

/** A fresh random wallet with 100 ETH (anvil_setBalance: no shared nonce) and its chain client. */
export async function fundedActor(url: string, contract: string, wallet: Wallet = randomWallet()): Promise<Actor> {
  await anvilFund(url, wallet.address);
  const chain = await connectChain({ rpcUrl: url, contract, signer: wallet, pollingIntervalMs: 50 });
  return { wallet, address: wallet.address, chain };
}

export interface ChainWorld {
  url: string;
  contract: string;
  chainId: bigint;
  admin: Actor;
  actor(): Promise<Actor>;
  patient(): Promise<Actor>;
  provider(opts?: { verified?: boolean }): Promise<Actor>;
  now(): Promise<number>;
}

/** A freshly deployed contract on `url` (default: the run's shared anvil) with a random first admin. */
export async function chainWorld(url: string = inject('anvilUrl')): Promise<ChainWorld> {
  const probe = new JsonRpcProvider(url, undefined, { staticNetwork: true });
  const network = await probe.getNetwork();
  probe.destroy();
  const adminWallet = randomWallet();
  await anvilFund(url, adminWallet.address);
  const deployer = new JsonRpcProvider(url, Network.from(network.chainId), { staticNetwork: true, pollingInterval: 50 });
  const { address } = await deployContract({ signer: adminWallet.connect(deployer) });
  deployer.destroy();
  const admin: Actor = {
    wallet: adminWallet,
    address: adminWallet.address,
    chain: await connectChain({ rpcUrl: url, contract: address, signer: adminWallet, pollingIntervalMs: 50 }),
  };
  const make = () => fundedActor(url, address);
  return {
    url,
    contract: address,
    chainId: network.chainId,
    admin,
    actor: make,
    async patient() {
      const a = await make();
      await register(a.chain, { role: 'patient', recipient: X25519_RECIPIENT });
      return a;
    },
    async provider(opts = {}) {
      const a = await make();
      await register(a.chain, { role: 'provider', recipient: X25519_RECIPIENT });
      if (opts.verified ?? true) await verifyProvider(admin.chain, { provider: a.address });
      return a;
    },
    async now() {
      const b = await admin.chain.provider.getBlock('latest');
      return b!.timestamp;
    },
  };
}

export function digest(n: number): string {
  return `0x${n.toString(16).padStart(64, '0')}`;
}

/** An anvil for this file alone, on a port it binds itself (TESTING.md § 1). */
export async function privateChain(): Promise<{ url: string; stop(): Promise<void> }> {
  const { child, url } = await startAnvil({ port: 0 });
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function increaseTime(url: string, seconds: number): Promise<void> {
  const p = new JsonRpcProvider(url, undefined, { staticNetwork: true });
  await p.send('evm_increaseTime', [seconds]);
  await p.send('evm_mine', []);
  p.destroy();
}

// ---------------------------------------------------------------------------------------
// The batch world: a provider home (CLI) and in-process patients

export interface Patient {
  address: string;
  identity: string;
  recipient: string;
  /** The patient's type slots (docs/CONTRACT.md § Privacy): what a key holder reads on chain. */
  slots: TypeSlots;
}

export interface BatchWorld {
  home: string;
  /**
   * Where the tests keep manifests and their files: outside the home, since a batch row
   * may never name a file under the emr home (MANIFEST.md § 3.1).
   */
  data: string;
  pw: string;
  dr: string;
  rpcUrl: string;
  contract: string;
  /** `emr` as the provider, with the passphrase file. */
  run(args: string[], opts?: { env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<EmrRun>;
  /**
   * `ipfsApis`: the Kubo nodes the grants' key deliveries are published on (default: the
   * home's embedded store), i.e. where dr's commands read them (`--ipfs-api`).
   */
  patients(n: number, opts?: { register?: boolean; grant?: boolean; ipfsApis?: string[] }): Promise<Patient[]>;
  /** A patient's type slots (UNKEYED for one this world did not make). */
  slotsOf(address: string): TypeSlots;
  /** A read-only chain client for assertions. */
  chain(): Promise<EmrChain>;
  /** Writes `n` small files and returns their names (relative to `dir`). */
  files(dir: string, n: number, size?: number, prefix?: string): string[];
}

function must(r: EmrRun, what: string): EmrRun {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr} ${r.stdout}`);
  return r;
}

/**
 * A provider profile `dr` in a temp home (CLI: keygen, devnet up, register, self-verify
 * as the devnet's first admin); patients are random wallets registered in-process and
 * granting `dr` write access to all types. Stop its devnet in `afterAll` (`run(['devnet', 'down'])`).
 */
export async function batchWorld(): Promise<BatchWorld> {
  const t = tempHome();
  const pw = t.pw('dr');
  const base = ['--home', t.home, '--profile', 'dr', '--password-file', pw];
  const run: BatchWorld['run'] = (args, opts = {}) => emr([...base, ...args], opts);
  // The run's batch world (test/helpers/shared-world.ts): dr made, registered and self-verified once.
  cpSync(await sharedWorld('batch'), t.home, { recursive: true });
  const up = must(await run(['--json', 'devnet', 'up']), 'devnet up');
  const { rpcUrl, contract } = up.json!.data;
  const drProfile = JSON.parse(readFileSync(join(t.home, 'profiles', 'dr.json'), 'utf8'));
  const dr = drProfile.address as string;
  const drRecipient = drProfile.recipient as string;
  const known = new Map<string, TypeSlots>();
  return {
    home: t.home,
    data: mkdtempSync(join(tmpdir(), 'emr-batch-data-')),
    pw,
    dr,
    rpcUrl,
    contract,
    run,
    async patients(n, opts = {}) {
      const out: Patient[] = [];
      // As `emr grant --write` does (CONTRACT.md § Privacy): the write mask names the
      // patient's own slots, and the grant's key delivery carries the type key to dr.
      // The key delivery must be where dr reads it: its type key names the patient's slots.
      const store: RecordStore = opts.ipfsApis?.length
        ? replicatedStore(
            await Promise.all(opts.ipfsApis.map(async (url) => ({ name: url, store: await openStore({ home: t.home, ipfsApi: url }) }))),
            opts.ipfsApis.length,
          )
        : await openStore({ home: t.home });
      try {
        await Promise.all(
          Array.from({ length: n }, async () => {
            const id = generateIdentity('x25519');
            const { address, chain, wallet } = await fundedActor(rpcUrl, contract);
            const typeKey = deriveTypeKey(Buffer.from(wallet.privateKey.slice(2), 'hex'));
            const slots = typeSlots(typeKey);
            try {
              if (opts.register ?? true) await register(chain, { role: 'patient', recipient: id.recipient });
              if ((opts.register ?? true) && (opts.grant ?? true)) {
                const delivery = await publishKeyDelivery(store, { patient: address, grantee: dr, keys: [], typeKey }, drRecipient);
                await grant(chain, {
                  provider: dr,
                  readMask: 0,
                  writeMask: slots.toMask(RECORD_TYPES),
                  expiry: Math.floor(Date.now() / 1000) + 30 * 86400,
                  keyDelivery: delivery.digest,
                });
              }
            } finally {
              chain.provider.destroy();
            }
            known.set(address.toLowerCase(), slots);
            out.push({ address, identity: id.identity, recipient: id.recipient, slots });
          }),
        );
      } finally {
        await store.close?.();
      }
      return out;
    },
    slotsOf: (address) => known.get(address.toLowerCase()) ?? UNKEYED,
    chain: () => connectChain({ rpcUrl, contract, pollingIntervalMs: 50 }),
    files(dir, n, size = 64, prefix = 'f') {
      mkdirSync(dir, { recursive: true });
      return Array.from({ length: n }, (_, i) => {
        const name = `${prefix}-${i}.txt`;
        const body = Buffer.alloc(size, 32);
        body.write(`${prefix} record ${i} ${Math.random()}\n`);
        writeFileSync(join(dir, name), body);
        return name;
      });
    },
  };
}

export function csv(rows: Array<Record<string, string>>, columns = ['file', 'patient', 'type', 'title']): string {
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [columns.join(','), ...rows.map((r) => columns.map((c) => q(r[c] ?? '')).join(','))].join('\n') + '\n';
}
