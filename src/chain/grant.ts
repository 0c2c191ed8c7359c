/**
 * grant: the patient (the signer) gives a provider read and/or write access to record
 * types until `expiry`. `keyDelivery` is the digest of an off-chain key-delivery object;
 * no key material ever goes on chain (CONTRACT.md § Functions).
 */
import { UsageError } from '../errors.js';
import { checkBytes32, checkMask, parseAddress, toUnixSeconds } from './params.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export interface GrantParameters {
  provider: string;
  readMask: number;
  writeMask?: number;
  expiry: Date | number | bigint;
  keyDelivery?: string;
}

export function grantArgs(params: GrantParameters): [string, number, number, bigint, string] {
  const readMask = checkMask(params.readMask, 'read types');
  const writeMask = checkMask(params.writeMask ?? 0, 'write types');
  if (readMask === 0 && writeMask === 0) {
    throw new UsageError('nothing to grant', { hint: 'name at least one type with --types' });
  }
  return [
    parseAddress(params.provider, 'provider'),
    readMask,
    writeMask,
    toUnixSeconds(params.expiry),
    checkBytes32(params.keyDelivery, 'key delivery digest'),
  ];
}

export async function grant(chain: EmrChain, params: GrantParameters): Promise<SentTx> {
  return send(chain, 'grant', grantArgs(params));
}
