/**
 * releaseEmergencyKeys: a consortium admin delivers the file keys of a patient's
 * emergency-visible records to a provider whose emergency is open (SHARING.md § 4.2).
 */
import { toChainError } from './errors.js';
import { checkBytes32, parseAddress } from './params.js';
import { requireSigner, send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export async function releaseEmergencyKeys(
  chain: EmrChain,
  params: { patient: string; provider: string; keyDelivery: string },
): Promise<SentTx> {
  return send(chain, 'releaseEmergencyKeys', [
    parseAddress(params.patient, 'patient'),
    parseAddress(params.provider, 'provider'),
    checkBytes32(params.keyDelivery, 'key delivery digest'),
  ]);
}

/** Any non-zero digest: the contract checks only that it is not zero. */
const PROBE_DIGEST = `0x${'01'.repeat(32)}`;

/**
 * Asks the contract (an eth_call as the sender, nothing sent) whether it would accept this
 * release now — emergency open, provider verified and not suspended, sender an admin — so
 * the flow stores no delivery object that the transaction would then orphan
 * (SHARING.md § 4.2). A refusal is the contract's own error (exit 3 for access).
 */
export async function checkReleaseEmergencyKeys(chain: EmrChain, params: { patient: string; provider: string }): Promise<void> {
  const from = await requireSigner(chain).getAddress();
  try {
    await chain.contract
      .getFunction('releaseEmergencyKeys')
      .staticCall(parseAddress(params.patient, 'patient'), parseAddress(params.provider, 'provider'), PROBE_DIGEST, { from });
  } catch (e) {
    throw toChainError(e, chain.iface);
  }
}
