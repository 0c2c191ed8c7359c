/**
 * Test harness for chain tests: fresh random accounts funded with anvil_setBalance (no
 * shared dev-account nonces between parallel test files) and a freshly deployed contract.
 */
import { JsonRpcProvider, Network, Wallet } from 'ethers';
import { inject } from 'vitest';
import { anvilFund, startAnvil } from '../../src/chain/anvil.js';
import { connectChain } from '../../src/chain/client.js';
import { deployContract } from '../../src/chain/deploy.js';
import { register } from '../../src/chain/register.js';
import type { EmrChain } from '../../src/chain/types.js';
import { verifyProvider } from '../../src/chain/verify-provider.js';

export const X25519_RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

export interface Actor {
  wallet: Wallet;
  address: string;
  chain: EmrChain;
}

export interface Fixture {
  url: string;
  contract: string;
  chainId: bigint;
  admin: Actor;
  actor(): Promise<Actor>;
  patient(): Promise<Actor>;
  provider(opts?: { verified?: boolean }): Promise<Actor>;
  now(): Promise<number>;
}

export async function fixture(url: string = inject('anvilUrl')): Promise<Fixture> {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
  const network = await provider.getNetwork();
  provider.destroy();
  const adminWallet = Wallet.createRandom();
  await anvilFund(url, adminWallet.address);
  const deployer = new JsonRpcProvider(url, Network.from(network.chainId), { staticNetwork: true, pollingInterval: 50 });
  const { address } = await deployContract({ signer: adminWallet.connect(deployer) });
  deployer.destroy();
  const make = async (): Promise<Actor> => {
    const wallet = Wallet.createRandom() as unknown as Wallet;
    await anvilFund(url, wallet.address);
    const chain = await connectChain({ rpcUrl: url, contract: address, signer: wallet, pollingIntervalMs: 50 });
    return { wallet, address: wallet.address, chain };
  };
  const admin: Actor = {
    wallet: adminWallet as unknown as Wallet,
    address: adminWallet.address,
    chain: await connectChain({ rpcUrl: url, contract: address, signer: adminWallet, pollingIntervalMs: 50 }),
  };
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

/** A private anvil for tests that move the clock (evm_increaseTime is global to a node). */
export async function privateAnvil(): Promise<{ url: string; stop(): Promise<void> }> {
  const { child, url } = await startAnvil({ port: 0 });
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
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
