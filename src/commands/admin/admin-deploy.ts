/**
 * `emr admin deploy [--first-admin <who>] [--save]` (docs/CLI.md § Network): deploy the
 * access-control contract on any chain (`--rpc-url`, else the configured one, else the
 * running devnet), with the acting profile paying and, by default, as first admin.
 */
import { defineCommand } from '../spec.js';

export const adminDeploy = defineCommand({
  name: 'deploy',
  summary: 'deploy the access-control contract on a chain (prints its address)',
  options: [
    { flags: '--first-admin <who>', description: 'the first admin: 0x address or profile (default: the acting profile)' },
    { flags: '--save', description: 'remember this --rpc-url and the new contract in the config' },
  ],
  examples: ['emr admin deploy --rpc-url https://rpc.example.org --save', 'emr admin deploy --json'],
  async run(ctx, _args, opts: { firstAdmin?: string; save?: boolean }) {
    const [{ openChainSession }, { deployFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../ops/deploy.js'),
    ]);
    const { data, onDevnet } = await deployFlow(await openChainSession(ctx, {}), opts);
    const warnings: string[] = [];
    // resolveEndpoint prefers the devnet's own contract on the devnet's URL.
    if (onDevnet) warnings.push('on the devnet, commands keep using the devnet’s contract unless you pass --contract ' + data.address);
    return {
      data,
      view: {
        title: data.address,
        fields: [
          ['chain id', data.chainId],
          ['first admin', data.firstAdmin],
          ['tx', data.txHash],
          ['block', data.blockNumber],
        ],
        lines: opts.save
          ? [`Saved: commands now use ${data.rpcUrl} and this contract by default.`]
          : [`Use it with --rpc-url ${data.rpcUrl} --contract ${data.address} (or re-run with --save).`],
        warnings,
      },
    };
  },
});
