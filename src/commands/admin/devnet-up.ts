/**
 * `emr devnet up` (docs/CLI.md § Network; docs/DEVNET.md): start the embedded anvil of this home,
 * deploy the contract with the acting profile as first admin (only when the recorded one
 * has no code), and fund every local profile. Idempotent: running it twice is harmless,
 * and state survives `down`/`up` (anvil's --state dump).
 */
import { defineCommand } from '../spec.js';

export const devnetUp = defineCommand({
  name: 'up',
  summary: 'start the embedded local chain (deploys the contract, funds local profiles)',
  examples: ['emr devnet up --profile admin --password-file admin.pw'],
  async run(ctx) {
    const [{ openChainSession }, { devnetUp: up }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../chain/devnet.js'),
    ]);
    // The acting profile becomes the first admin, so its key must sign the deployment.
    const s = await openChainSession(ctx, { unlock: true });
    const { me } = s;
    const signer = await me.wallet();
    const fund = ctx.profiles.list().map((p) => p.address);
    const progress = s.progress('starting the devnet');
    try {
      const st = await up({ home: ctx.home, signer, fund });
      progress.succeed('devnet running');
      const data = {
        rpcUrl: st.rpcUrl!,
        chainId: st.chainId!,
        contract: st.contract!,
        running: st.running,
        pid: st.pid,
        deployBlock: st.deployBlock,
        funded: fund,
      };
      return {
        data,
        view: {
          title: 'Devnet running',
          fields: [
            ['rpc url', data.rpcUrl],
            ['chain id', data.chainId],
            ['contract', data.contract],
            ['first admin', ctx.label(me.profile.address, 'withAddress')],
            ['funded', `${fund.length} local profile(s)`],
          ],
          lines: ['Commands use it by default; stop it with `emr devnet down` (state is kept).'],
        },
      };
    } catch (e) {
      progress.fail();
      throw e;
    }
  },
});
