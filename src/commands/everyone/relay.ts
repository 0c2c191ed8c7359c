/**
 * `emr relay <file>` (CONTRACT.md § Signed actions): send a patient's offline-signed grant,
 * revoke, approve or deny from the acting profile's account, so the patient needs no ETH.
 * The contract checks the signature, nonce, deadline, chain and contract; this only refuses
 * early what would certainly revert.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

const KINDS = ['grant', 'revoke', 'approve', 'deny'];

export const relay = defineCommand({
  name: 'relay',
  summary: 'send a patient’s offline-signed grant/revoke/approve/deny (you pay the gas)',
  args: ['<file>'],
  async run(ctx, [file]: [string]) {
    let signed: import('../../chain/signed-actions.js').SignedAction;
    try {
      let text: string;
      if (file === '-') {
        const parts: Buffer[] = [];
        for await (const c of ctx.io.stdin) parts.push(Buffer.from(c as Buffer));
        text = Buffer.concat(parts).toString('utf8');
      } else {
        text = readFileSync(file, 'utf8');
      }
      signed = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`cannot read a signed action from ${file}`, { hint: 'pass the JSON file made by `--sign-only`', cause: e });
    }
    if (!signed || !KINDS.includes(signed.kind) || typeof signed.signature !== 'string' || typeof signed.message !== 'object') {
      throw new UsageError(`${file} is not a signed action`, { hint: 'pass the JSON file made by `emr grant|revoke … --sign-only`' });
    }
    const { chainFor } = await import('../../session/chain.js');
    const chain = await chainFor(ctx, { signer: true });
    if (BigInt(signed.chainId) !== chain.chainId || signed.contract.toLowerCase() !== chain.address.toLowerCase()) {
      throw new UsageError(`signed for chain ${signed.chainId} / ${signed.contract}, not this one`, { hint: 'relay it with the --rpc-url and --contract it was signed for' });
    }
    const { relaySigned } = await import('../../chain/signed-actions.js');
    const tx = await relaySigned(chain, signed);
    const patient = String(signed.message.patient);
    return {
      data: { kind: signed.kind, patient, txHash: tx.txHash },
      view: { title: `Relayed ${signed.kind} signed by ${ctx.profiles.byAddress(patient)?.name ?? patient}`, fields: [['tx', tx.txHash]] },
    };
  },
});
