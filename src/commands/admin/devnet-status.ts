/** `emr devnet status` (docs/CLI.md § Network): a query; "not running" is an answer, exit 0. */
import { defineCommand } from '../spec.js';

export const devnetStatus = defineCommand({
  name: 'status',
  summary: 'is the embedded local chain running, where, and with which contract',
  async run(ctx) {
    const { devnetStatus: status } = await import('../../chain/devnet.js');
    const st = await status({ home: ctx.home });
    const data = {
      rpcUrl: st.rpcUrl,
      chainId: st.chainId,
      contract: st.contract,
      running: st.running,
      pid: st.pid,
      deployBlock: st.deployBlock,
    };
    return {
      data,
      view: {
        title: st.running ? 'Devnet running' : st.rpcUrl ? 'Devnet stopped (state kept)' : 'No devnet in this home',
        fields: st.rpcUrl
          ? [
              ['rpc url', st.rpcUrl],
              ['chain id', st.chainId],
              ['contract', st.contract],
              ['pid', st.pid],
            ]
          : [],
        lines: st.running ? [] : ['Start it with `emr devnet up`.'],
      },
    };
  },
});
