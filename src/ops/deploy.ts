/**
 * `emr admin deploy`, the whole use case (docs/CLI.md § Network): deploy the access-control
 * contract on any chain (`--rpc-url`, else the configured one, else the running devnet),
 * with the acting profile paying and, by default, as first admin. The chain is probed
 * (bounded) before any passphrase is asked for: there is no contract yet, so the session's
 * chain client does not apply.
 */

import { boundedProvider } from '../chain/client.js';
import { deployContract } from '../chain/deploy.js';
import { devnetStatus, fundAccount } from '../chain/devnet.js';
import { rpcCall } from '../chain/rpc.js';
import { DEFAULT_RPC_TIMEOUT_MS } from '../chain/transport.js';
import { UnavailableError } from '../errors.js';
import { rpcTimeoutMs } from '../session/chain.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { unlock } from '../session/unlock.js';

export async function deployFlow(s: With, opts: { firstAdmin?: string; save?: boolean }) {
  const ctx = s.ctx;
  const dev = await devnetStatus({ home: s.home });
  const rpcUrl = ctx.globals.rpcUrl ?? ctx.config.get('rpcUrl') ?? (dev.running ? dev.rpcUrl : null);
  if (!rpcUrl) {
    throw new UnavailableError('no chain to deploy on', { hint: 'pass --rpc-url <url>, or start the local chain with `emr devnet up`' });
  }
  const firstAdmin = opts.firstAdmin ? await resolveAddress(ctx, opts.firstAdmin) : undefined;
  // A bounded probe first: ethers would otherwise retry an unreachable endpoint forever.
  const chainId = Number(BigInt(await rpcCall<string>(rpcUrl, 'eth_chainId', [])));
  const me = await unlock(ctx);
  const onDevnet = dev.running && dev.rpcUrl === rpcUrl;
  if (onDevnet) {
    const bal = BigInt(await rpcCall<string>(rpcUrl, 'eth_getBalance', [me.profile.address, 'latest']));
    if (bal < 10n ** 18n) await fundAccount(s.home, me.profile.address);
  }
  // Bounded per request like every chain client (transport.ts, EMR_RPC_TIMEOUT).
  const provider = boundedProvider(rpcUrl, chainId, {
    timeoutMs: rpcTimeoutMs(ctx) ?? DEFAULT_RPC_TIMEOUT_MS,
    pollingIntervalMs: onDevnet ? 250 : 1_000,
  });
  ctx.onClose(() => provider.destroy());
  const progress = s.progress('deploying the contract');
  let deployed;
  try {
    deployed = await deployContract({ signer: (await me.wallet()).connect(provider), firstAdmin: firstAdmin ?? me.profile.address });
    progress.succeed('deployed');
  } catch (e) {
    progress.fail();
    throw e;
  }
  if (opts.save) ctx.config.update({ rpcUrl, contract: deployed.address, chainId, deployBlock: deployed.blockNumber });
  return {
    data: {
      address: deployed.address,
      contract: deployed.address,
      rpcUrl,
      chainId,
      firstAdmin: firstAdmin ?? me.profile.address,
      txHash: deployed.txHash,
      blockNumber: deployed.blockNumber,
      gasUsed: deployed.gasUsed,
      saved: !!opts.save,
    },
    onDevnet,
  };
}
