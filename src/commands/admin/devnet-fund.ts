/**
 * `emr devnet fund <who> [--amount <eth>]` (docs/CLI.md § Network; docs/DEVNET.md § 1.4):
 * ether for a profile or an address on this home's devnet; refused on any other chain (exit 2).
 */
import { defineCommand } from '../spec.js';

export const devnetFund = defineCommand({
  name: 'fund',
  summary: 'give an account ether on this home’s devnet (devnet only)',
  args: ['<who>'],
  options: [{ flags: '--amount <eth>', description: 'how much ether to add (default 100)' }],
  examples: ['emr devnet fund dr-grey', 'emr devnet fund 0x5B38Da6a701c568545dCfcB03FcB875f56beddC4 --amount 10'],
  async run(ctx, [who]: [string], opts: { amount?: string }) {
    const { fundOnDevnet, parseEther } = await import('../../ops/devnet-fund.js');
    const wei = parseEther(opts.amount ?? '100');
    const d = await fundOnDevnet(ctx, who, wei);
    return {
      data: d,
      view: {
        title: `Funded ${d.name ?? d.address} with ${d.amount} ETH`,
        fields: [
          ['address', d.address],
          ['balance', `${d.balance} ETH`],
        ],
      },
    };
  },
});
