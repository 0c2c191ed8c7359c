/**
 * `emr relay <file>` (CONTRACT.md § Signed actions): send a patient's offline-signed grant,
 * revoke, approve or deny from the acting profile's account, so the patient needs no ETH
 * (records/relay.ts).
 */
import { defineCommand } from '../spec.js';

export const relay = defineCommand({
  name: 'relay',
  summary: 'send a patient’s offline-signed grant/revoke/approve/deny (you pay the gas)',
  args: ['<file>'],
  async run(ctx, [file]: [string]) {
    const [{ openChainSession }, { readSignedAction, relayFlow }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../records/relay.js'),
    ]);
    const signed = await readSignedAction(ctx, file);
    const data = await relayFlow(await openChainSession(ctx, { signer: true }), signed);
    return { data, view: { title: `Relayed ${data.kind} signed by ${ctx.label(data.patient)}`, fields: [['tx', data.txHash]] } };
  },
});
