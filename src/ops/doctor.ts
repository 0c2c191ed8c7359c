/**
 * `emr doctor` (docs/CLI.md § Everyday use): one check per line, each with a fix when it
 * fails. Read-only: nothing is written, no passphrase is asked, no transaction is sent.
 * Every network check is time-bounded so a dead endpoint costs seconds, not a hang.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EmrChain } from '../chain/types.js';
import { whois } from '../chain/whois.js';
import type { Profile } from '../keys/profiles.js';
import { urlLabel } from '../output.js';
import { chainFor, resolveEndpoint } from '../session/chain.js';
import type { SessionBase } from '../session/index.js';
import { storeFor } from '../session/store.js';
import { formatEther } from './devnet-fund.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** How to fix it; empty when ok. */
  hint: string;
}

/** How long one network check may take. */
const NET_TIMEOUT_MS = 5_000;
/** Largest tolerated gap between this machine's clock and the chain's latest block. */
const MAX_CLOCK_SKEW_S = 300;
/** The CID of the empty raw block: asking for it tests the store without writing to it. */
const PROBE_CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail, hint: '' });
const fail = (name: string, detail: string, hint: string): Check => ({ name, ok: false, detail, hint });
const msg = (e: unknown) =>
  String((e as Error)?.message ?? e)
    .split('\n')[0]!
    .slice(0, 200);

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${NET_TIMEOUT_MS / 1000} s`)), NET_TIMEOUT_MS)),
    ),
  ]).finally(() => clearTimeout(timer));
}

/** The session opens nothing: reaching the chain and the store is what the checks test, each under a timeout. */
export async function runDoctor(s: SessionBase): Promise<Check[]> {
  const { ctx } = s;
  const checks: Check[] = [];

  const [maj, min] = process.versions.node.split('.').map(Number) as [number, number];
  checks.push(
    maj > 20 || (maj === 20 && min >= 19)
      ? pass('node', `Node ${process.versions.node}`)
      : fail('node', `Node ${process.versions.node}`, 'emr needs Node 20.19 or newer: https://nodejs.org'),
  );

  const age = spawnSync('age', ['--version'], { encoding: 'utf8', timeout: NET_TIMEOUT_MS });
  checks.push(
    age.status === 0
      ? pass('age', `age ${age.stdout.trim()} on PATH`)
      : fail(
          'age',
          'the age CLI is not on PATH (emr works without it; interop and tests use it)',
          'install it: apt-get install age, brew install age',
        ),
  );

  checks.push(...permissionChecks(ctx.home));

  // The chain: reachable, the contract deployed, the clock close to the chain's.
  let chain: EmrChain | undefined;
  try {
    chain = await withTimeout(chainFor(ctx), 'the chain');
    const block = await withTimeout(chain.provider.getBlock('latest'), 'the chain');
    checks.push(
      pass(
        'chain',
        `chain ${(await chain.provider.getNetwork()).chainId} reachable, contract ${await chain.contract.getAddress()} deployed, block ${block?.number}`,
      ),
    );
    const skew = block ? Math.round(ctx.clock.now().getTime() / 1000 - block.timestamp) : 0;
    checks.push(
      Math.abs(skew) <= MAX_CLOCK_SKEW_S
        ? pass('clock', `within ${Math.abs(skew)} s of the chain's latest block`)
        : fail(
            'clock',
            `${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the chain's latest block`,
            'sync the clock (timedatectl set-ntp true); grant expiries are judged by chain time',
          ),
    );
  } catch (e) {
    const hint = (e as { hint?: string }).hint || 'check --rpc-url / --contract, or start the local chain with `emr devnet up`';
    checks.push(fail('chain', msg(e), hint));
  }

  const ipfsApi = ctx.globals.ipfsApi ?? ctx.config.get('ipfsApi');
  const apiLabel = ipfsApi ? urlLabel(ipfsApi) : '';
  if (!ipfsApi && !existsSync(join(ctx.home, 'ipfs'))) {
    // Opening the embedded store would create it; the doctor writes nothing.
    checks.push(pass('ipfs', `embedded store ${join(ctx.home, 'ipfs')}: made on first use`));
  } else
    try {
      const store = await withTimeout(storeFor(ctx), 'the IPFS store');
      await withTimeout(store.has(PROBE_CID), 'the IPFS store');
      checks.push(pass('ipfs', ipfsApi ? `Kubo API ${apiLabel} reachable` : `embedded store ${join(ctx.home, 'ipfs')} opens`));
    } catch (e) {
      checks.push(
        fail(
          'ipfs',
          `${ipfsApi ? `Kubo API ${apiLabel}` : 'the embedded store'}: ${msg(e)}`,
          ipfsApi
            ? 'start the node (ipfs daemon) or fix --ipfs-api / EMR_IPFS_API'
            : `check that ${join(ctx.home, 'ipfs')} is readable and writable by you`,
        ),
      );
    }

  // The acting profile: on chain, and verified when it is a provider.
  let profile: Profile | undefined;
  try {
    profile = ctx.profiles.list().length ? ctx.profile() : undefined;
  } catch (e) {
    checks.push(fail('profile', msg(e), (e as { hint?: string }).hint ?? 'pass --profile <name>'));
  }
  if (!profile && ctx.profiles.list().length === 0)
    checks.push(fail('profile', 'no local identity yet', 'create one with `emr keygen --name <profile>`'));
  if (profile && chain) {
    try {
      const info = await withTimeout(whois(chain, profile.address), 'the chain');
      if (!info.registered)
        checks.push(
          fail(
            'profile',
            `'${profile.name}' (${profile.address}) is not registered on this chain`,
            `run \`emr --profile ${profile.name} register\``,
          ),
        );
      else if (profile.role === 'provider' && !info.verified)
        checks.push(
          fail(
            'profile',
            `provider '${profile.name}' is registered but not verified`,
            'ask a consortium admin to run `emr admin verify ' + profile.address + '`',
          ),
        );
      else checks.push(pass('profile', `'${profile.name}' registered as ${info.role}${info.role === 'provider' ? ', verified' : ''}`));
    } catch (e) {
      checks.push(fail('profile', msg(e), 'retry when the chain answers'));
    }
  } else if (profile) {
    checks.push(fail('profile', `'${profile.name}': registration not checked (no chain)`, 'fix the chain check first'));
  }
  if (profile && chain) checks.push(await balanceCheck(ctx, chain, profile));
  return checks;
}

/** Gas a profile should be able to pay for: a handful of writes (a grant ≤ 60k, an add ≤ 50k; CONTRACT.md § Gas). */
const GAS_RESERVE = 1_000_000n;
/** anvil's and Hardhat's default chain id: a local test chain, maybe another home's devnet. */
const LOCAL_CHAIN_ID = 31337n;

/**
 * `balance` (docs/CLI.md § Everyday use, `emr doctor`; issue 24 § 1): can the acting profile
 * pay for gas, and if not, how to fund it. On this home's devnet an empty profile is funded at
 * its first transaction (DEVNET.md § 1), so it passes and names `emr devnet fund`; elsewhere
 * emr funds nobody (DEVNET.md § 2): send ether to the address.
 */
async function balanceCheck(ctx: SessionBase['ctx'], chain: EmrChain, profile: Profile): Promise<Check> {
  try {
    const [wei, fee, network, ep] = await withTimeout(
      Promise.all([
        chain.provider.getBalance(profile.address),
        chain.provider.getFeeData(),
        chain.provider.getNetwork(),
        resolveEndpoint(ctx),
      ]),
      'the chain',
    );
    const need = (fee.maxFeePerGas ?? fee.gasPrice ?? 10n ** 9n) * GAS_RESERVE;
    const held = `'${profile.name}' (${profile.address}) holds ${formatEther(wei)} ETH`;
    if (wei >= need) return pass('balance', held);
    if (ep.devnet)
      return pass('balance', `${held}; this devnet funds it at its first transaction (or now: \`emr devnet fund ${profile.name}\`)`);
    const local =
      network.chainId === LOCAL_CHAIN_ID ? `; on a devnet another home runs, there: \`emr devnet fund ${profile.address}\`` : '';
    return fail(
      'balance',
      `${held}: too little ether to pay for gas (about ${formatEther(need)} ETH for a few transactions)`,
      `send ether to ${profile.address} (a faucet, the consortium's treasury)${local}`,
    );
  } catch (e) {
    return fail('balance', msg(e), 'retry when the chain answers');
  }
}

/** The home and keystores must not be readable or writable by others (docs/KEYSTORE.md § 2). */
function permissionChecks(home: string): Check[] {
  if (!existsSync(home))
    return [fail('home', `${home} does not exist yet`, 'create an identity with `emr keygen --name <profile>` (it makes the home)')];
  const out: Check[] = [];
  const mode = statSync(home).mode & 0o777;
  out.push(
    mode & 0o022
      ? fail('home', `${home} is writable by others (mode ${mode.toString(8)})`, `chmod go-w '${home}'`)
      : pass('home', `${home} (mode ${mode.toString(8)})`),
  );
  const dir = join(home, 'keystore');
  if (!existsSync(dir)) return out;
  const loose: string[] = [];
  let n = 0;
  for (const f of readdirSync(dir).slice(0, 10_000)) {
    n++;
    const m = statSync(join(dir, f)).mode & 0o777;
    if (m & 0o077) loose.push(`${f} (${m.toString(8)})`);
  }
  const dm = statSync(dir).mode & 0o777;
  if (dm & 0o077) loose.unshift(`keystore/ (${dm.toString(8)})`);
  out.push(
    loose.length
      ? fail(
          'keystore',
          `readable by others: ${loose.slice(0, 5).join(', ')}${loose.length > 5 ? ', …' : ''}`,
          `chmod 700 '${dir}' && chmod 600 '${dir}'/*`,
        )
      : pass('keystore', `${n} keystore file(s), private (0600)`),
  );
  return out;
}
