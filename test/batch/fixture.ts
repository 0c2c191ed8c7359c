/**
 * A batch world in a temp home: a provider profile `dr` (CLI: keygen, devnet up, register,
 * self-verify as the devnet's first admin) and patients made cheaply in-process (random
 * wallets funded on anvil, registered, granting `dr` write access to all types).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { anvilFund } from '../../src/chain/anvil.js';
import { connectChain } from '../../src/chain/client.js';
import { register } from '../../src/chain/register.js';
import { grant } from '../../src/chain/grant.js';
import type { EmrChain } from '../../src/chain/types.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { ALL_TYPES_MASK } from '../../src/record-types.js';
import { emr, tempHome, type EmrRun } from '../helpers/cli.js';

export interface Patient {
  address: string;
  identity: string;
  recipient: string;
}

export interface World {
  home: string;
  pw: string;
  dr: string;
  rpcUrl: string;
  contract: string;
  /** `emr` as the provider, with the passphrase file. */
  run(args: string[], opts?: { env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<EmrRun>;
  patients(n: number, opts?: { register?: boolean; grant?: boolean }): Promise<Patient[]>;
  /** A read-only chain client for assertions. */
  chain(): Promise<EmrChain>;
  /** Writes `n` small files and returns their names (relative to `dir`). */
  files(dir: string, n: number, size?: number, prefix?: string): string[];
}

function must(r: EmrRun, what: string): EmrRun {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr} ${r.stdout}`);
  return r;
}

export async function makeWorld(): Promise<World> {
  const t = tempHome();
  const pw = t.pw('dr');
  const base = ['--home', t.home, '--profile', 'dr', '--password-file', pw];
  const run: World['run'] = (args, opts = {}) => emr([...base, ...args], opts);
  const kg = must(await run(['--json', 'keygen', '--name', 'dr', '--role', 'provider']), 'keygen');
  const dr = kg.json!.data.address as string;
  const up = must(await run(['--json', 'devnet', 'up']), 'devnet up');
  const { rpcUrl, contract } = up.json!.data;
  must(await run(['--json', 'register', '--role', 'provider']), 'register');
  must(await run(['--json', 'admin', 'verify', dr]), 'verify');
  return {
    home: t.home,
    pw,
    dr,
    rpcUrl,
    contract,
    run,
    async patients(n, opts = {}) {
      const out: Patient[] = [];
      await Promise.all(
        Array.from({ length: n }, async () => {
          const w = Wallet.createRandom();
          await anvilFund(rpcUrl, w.address);
          const id = generateIdentity('x25519');
          const chain = await connectChain({ rpcUrl, contract, signer: new Wallet(w.privateKey), pollingIntervalMs: 50 });
          try {
            if (opts.register ?? true) await register(chain, { role: 'patient', recipient: id.recipient });
            if ((opts.register ?? true) && (opts.grant ?? true)) {
              await grant(chain, { provider: dr, readMask: 0, writeMask: ALL_TYPES_MASK, expiry: Math.floor(Date.now() / 1000) + 30 * 86400 });
            }
          } finally {
            chain.provider.destroy();
          }
          out.push({ address: w.address, identity: id.identity, recipient: id.recipient });
        }),
      );
      return out;
    },
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
