/**
 * `emr relay <file>`, the use case (CONTRACT.md § Signed actions): send a patient's
 * offline-signed grant, revoke, approve or deny from the session's account, so the patient
 * needs no ETH. The contract checks the signature, nonce, deadline, chain and contract;
 * this only refuses early what would certainly revert.
 */
import { readFileSync } from 'node:fs';
import { relaySigned, type SignedAction } from '../chain/signed-actions.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { With } from '../session/index.js';

const KINDS = ['grant', 'revoke', 'approve', 'deny'];

/** The signed action in `file` (`-`: stdin), checked for shape: a usage error before any chain I/O. */
export async function readSignedAction(ctx: Pick<Context, 'io'>, file: string): Promise<SignedAction> {
  let signed: SignedAction;
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
  return signed;
}

export async function relayFlow(s: With<'chain'>, signed: SignedAction): Promise<{ kind: string; patient: string; txHash: string }> {
  const { chain } = s;
  if (BigInt(signed.chainId) !== chain.chainId || signed.contract.toLowerCase() !== chain.address.toLowerCase()) {
    throw new UsageError(`signed for chain ${signed.chainId} / ${signed.contract}, not this one`, {
      hint: 'relay it with the --rpc-url and --contract it was signed for',
    });
  }
  const tx = await relaySigned(chain, signed);
  return { kind: signed.kind, patient: String(signed.message.patient), txHash: tx.txHash };
}
