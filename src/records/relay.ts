/**
 * `emr relay <file>`, the use case (CONTRACT.md § Signed actions): send a patient's
 * offline-signed grant, revoke, approve or deny from the session's account, so the patient
 * needs no ETH. The contract checks the signature, nonce, deadline, chain and contract;
 * this only refuses early what would certainly revert.
 */
import { relaySigned, type SignedAction } from '../chain/signed-actions.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { readFileAtMost } from '../read-bounded.js';
import type { With } from '../session/index.js';

const KINDS = ['grant', 'revoke', 'approve', 'deny'];
/**
 * A signed action is well under 2 KiB. Threat: the relayer is handed the file by someone
 * else (CONTRACT.md § Signed actions); an endless stdin or a huge file is refused, not buffered.
 */
const MAX_SIGNED_ACTION = 64 * 1024;

function tooLarge(file: string): UsageError {
  return new UsageError(`${file} is too large for a signed action (over 64 KiB)`, {
    hint: 'pass the JSON file made by `emr grant|revoke … --sign-only`',
  });
}

/** The signed action in `file` (`-`: stdin), checked for shape: a usage error before any chain I/O. */
export async function readSignedAction(ctx: Pick<Context, 'io'>, file: string): Promise<SignedAction> {
  let signed: SignedAction;
  try {
    let text: string;
    if (file === '-') {
      const parts: Buffer[] = [];
      let size = 0;
      for await (const c of ctx.io.stdin) {
        size += (c as Buffer).length;
        if (size > MAX_SIGNED_ACTION) throw tooLarge(file);
        parts.push(Buffer.from(c as Buffer));
      }
      text = Buffer.concat(parts).toString('utf8');
    } else {
      const bytes = readFileAtMost(file, MAX_SIGNED_ACTION);
      if (!bytes) throw tooLarge(file);
      text = bytes.toString('utf8');
    }
    signed = JSON.parse(text);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read a signed action from ${file}`, { hint: 'pass the JSON file made by `--sign-only`', cause: e });
  }
  // Every field relayFlow reads before the chain checks the rest (chain/signed-actions.ts):
  // a missing or mistyped one was a TypeError (exit 1) instead of a usage error.
  if (
    !signed ||
    typeof signed !== 'object' ||
    !KINDS.includes(signed.kind) ||
    typeof signed.signature !== 'string' ||
    !signed.message ||
    typeof signed.message !== 'object' ||
    Array.isArray(signed.message) ||
    !/^\d{1,20}$/.test(String(signed.chainId)) ||
    (typeof signed.chainId !== 'string' && typeof signed.chainId !== 'number') ||
    typeof signed.contract !== 'string' ||
    !/^0x[0-9a-fA-F]{40}$/.test(signed.contract)
  ) {
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
