/**
 * whois: an account's role, status and age recipient. Storage keeps only a 160-bit
 * commitment to the recipient; the string itself is read from the latest Registered
 * event and checked against the commitment (CONTRACT.md § Recipients).
 */
import { keccak256 } from 'ethers/crypto';
import { getBytes, toUtf8Bytes } from 'ethers/utils';
import { fingerprint } from '../contacts.js';
import { IntegrityError } from '../errors.js';
import { addressTopic, queryEvents } from './logs.js';
import { parseAddress } from './params.js';
import { read } from './read.js';
import { endpointLabel } from './transport.js';
import { type EmrChain, type Role, roleName } from './types.js';

export interface AccountInfo {
  address: string;
  registered: boolean;
  role: Role | null;
  verified: boolean;
  suspended: boolean;
  admin: boolean;
  /** The age recipient, checked against the on-chain commitment; null when unregistered. */
  recipient: string | null;
  /** Unix seconds of the latest (re)registration; 0 when unregistered. */
  keyUpdatedAt: number;
  emergencyTypes: number;
}

/** The 160-bit commitment the contract stores: the top 20 bytes of keccak256(recipient). */
export function recipientCommitment(recipient: string): string {
  return keccak256(toUtf8Bytes(recipient)).slice(0, 42).toLowerCase();
}

export async function whois(chain: EmrChain, who: string): Promise<AccountInfo> {
  const address = parseAddress(who);
  const [acct, admin] = await Promise.all([read(chain, 'accountOf', [address]), read(chain, 'isAdmin', [address])]);
  const [roleCode, status, commitment, keyUpdatedAt, emergencyTypes] = acct;
  const role = roleName(Number(roleCode));
  const info: AccountInfo = {
    address,
    registered: role !== null,
    role,
    verified: role === 'provider' && Number(status) === 1,
    suspended: role === 'provider' && Number(status) === 2,
    admin,
    recipient: null,
    keyUpdatedAt: Number(keyUpdatedAt),
    emergencyTypes: Number(emergencyTypes),
  };
  if (role === null) return info;
  const events = await queryEvents(chain, { names: ['Registered'], topics: [addressTopic(address)] });
  const latest = events.at(-1);
  if (!latest) {
    throw new IntegrityError('registered account has no Registered event in range', {
      hint: 'the RPC endpoint may prune logs; use an archive endpoint or set the deployment block',
    });
  }
  const recipient = latest.args[2];
  // The commitment proves the event we read is the one the contract last accepted.
  if (recipientCommitment(recipient) !== getBytesHex(commitment)) {
    throw new IntegrityError('published recipient does not match its on-chain commitment', {
      hint: 'the endpoint returned stale or forged logs; try another --rpc-url',
    });
  }
  info.recipient = recipient;
  return info;
}

/**
 * whois for a party something is about to be encrypted to (SHARING.md § 8): the recipient
 * is read on every endpoint (`chain.witnesses`, § 8.4) and must be the same on all, then
 * checked against the contact book (`chain.vetRecipient`, § 8.2). Either failure is
 * INTEGRITY (exit 4), before anything is encrypted, stored or sent.
 */
export async function whoisForEncryption(chain: EmrChain, who: string): Promise<AccountInfo> {
  const [info, ...others] = await Promise.all([whois(chain, who), ...(chain.witnesses ?? []).map((w) => whois(w, who))]);
  for (const [i, o] of others.entries()) {
    if (o.recipient === info.recipient) continue;
    const w = chain.witnesses![i]!;
    const say = (r: string | null) => (r ? fingerprint(r) : 'no key');
    throw new IntegrityError(
      `the chain endpoints disagree on the key of ${info.address}: ${endpointLabel(chain.rpcUrl ?? '')} says ${say(info.recipient)}, ${endpointLabel(w.rpcUrl ?? '')} says ${say(o.recipient)}`,
      {
        hint: 'one of them is lying or out of date: nothing was encrypted; use endpoints you trust (SHARING.md § 8.4)',
        details: { address: info.address, endpoints: [endpointLabel(chain.rpcUrl ?? ''), endpointLabel(w.rpcUrl ?? '')] },
      },
    );
  }
  if (info.recipient && chain.vetRecipient) await chain.vetRecipient(info.address, info.recipient);
  return info;
}

function getBytesHex(b: string): string {
  return `0x${Buffer.from(getBytes(b)).toString('hex')}`;
}
