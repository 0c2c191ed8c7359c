/**
 * `emr admin deploy [--first-admin <who>] [--save]` (docs/CLI.md § Network): deploy the
 * access-control contract on any chain (`--rpc-url`, else the configured one, else the
 * running devnet), with the acting profile paying and, by default, as first admin.
 */
import { UnavailableError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const deploy = defineCommand({
  name: 'deploy',
  summary: 'deploy the access-control contract on a chain (prints its address)',
  options: [
    { flags: '--first-admin <who>', description: 'the first admin: 0x address or profile (default: the acting profile)' },
    { flags: '--save', description: 'remember this --rpc-url and the new contract in the config' },
  ],
  examples: ['emr admin deploy --rpc-url https://rpc.example.org --save', 'emr admin deploy --json'],
  async run(ctx, _args, opts: { firstAdmin?: string; save?: boolean }) {
    const { resolveAddress } = await import('../../session/resolve.js');
    const { devnetStatus } = await import('../../chain/devnet.js');
    const { rpcCall } = await import('../../chain/rpc.js');
    const dev = await devnetStatus({ home: ctx.home });
    const rpcUrl = ctx.globals.rpcUrl ?? ctx.config.get('rpcUrl') ?? (dev.running ? dev.rpcUrl : null);
    if (!rpcUrl) {
      throw new UnavailableError('no chain to deploy on', { hint: 'pass --rpc-url <url>, or start the local chain with `emr devnet up`' });
    }
    const firstAdmin = opts.firstAdmin ? await resolveAddress(ctx, opts.firstAdmin) : undefined;
    // A bounded probe first: ethers would otherwise retry an unreachable endpoint forever.
    const chainId = Number(BigInt(await rpcCall<string>(rpcUrl, 'eth_chainId', [])));
    const { unlock } = await import('../../session/unlock.js');
    const me = await unlock(ctx);
    const onDevnet = dev.running && dev.rpcUrl === rpcUrl;
    if (onDevnet) {
      const { fundAccount } = await import('../../chain/devnet.js');
      const bal = BigInt(await rpcCall<string>(rpcUrl, 'eth_getBalance', [me.profile.address, 'latest']));
      if (bal < 10n ** 18n) await fundAccount(ctx.home, me.profile.address);
    }
    const { JsonRpcProvider, Network } = await import('ethers');
    const provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1, pollingInterval: onDevnet ? 250 : 1_000 });
    ctx.onClose(() => provider.destroy());
    const { deployContract } = await import('../../chain/deploy.js');
    const progress = (await import('../../session/prompts.js')).progress(ctx, 'deploying the contract');
    let deployed;
    try {
      deployed = await deployContract({ signer: (await me.wallet()).connect(provider), firstAdmin: firstAdmin ?? me.profile.address });
      progress.succeed('deployed');
    } catch (e) {
      progress.fail();
      throw e;
    }
    if (opts.save) ctx.config.update({ rpcUrl, contract: deployed.address, chainId });
    const data = {
      address: deployed.address,
      contract: deployed.address,
      rpcUrl,
      chainId,
      firstAdmin: firstAdmin ?? me.profile.address,
      txHash: deployed.txHash,
      blockNumber: deployed.blockNumber,
      gasUsed: deployed.gasUsed,
      saved: !!opts.save,
    };
    const warnings: string[] = [];
    // resolveEndpoint prefers the devnet's own contract on the devnet's URL.
    if (onDevnet) warnings.push('on the devnet, commands keep using the devnet’s contract unless you pass --contract ' + deployed.address);
    return {
      data,
      view: {
        title: deployed.address,
        fields: [
          ['chain id', chainId],
          ['first admin', data.firstAdmin],
          ['tx', deployed.txHash],
          ['block', deployed.blockNumber],
        ],
        lines: opts.save ? [`Saved: commands now use ${rpcUrl} and this contract by default.`] : [`Use it with --rpc-url ${rpcUrl} --contract ${deployed.address} (or re-run with --save).`],
        warnings,
      },
    };
  },
});
