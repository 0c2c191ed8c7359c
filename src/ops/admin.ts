/**
 * The consortium's admin actions (docs/CLI.md § Network): add and remove admins, verify and
 * suspend providers, publish the emergency recipient. Each refuses a non-admin first
 * (exit 3), then answers "already so" without a transaction where the chain already agrees.
 */
import { addAdmin } from '../chain/add-admin.js';
import { emergencyRecipient } from '../chain/emergency-recipient.js';
import { removeAdmin } from '../chain/remove-admin.js';
import { requireAdmin } from '../chain/require-admin.js';
import { setEmergencyRecipient } from '../chain/set-emergency-recipient.js';
import { suspendProvider } from '../chain/suspend-provider.js';
import { verifyProvider } from '../chain/verify-provider.js';
import { whois } from '../chain/whois.js';
import { parseRecipient } from '../crypto/identity.js';
import { NotFoundError } from '../errors.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';

export async function addAdminFlow(s: With<'chain'>, who: string) {
  const account = await resolveAddress(s.ctx, who);
  await requireAdmin(s.chain, 'only an admin can add admins');
  if ((await whois(s.chain, account)).admin) return { account, admin: true, alreadyAdmin: true, txHash: null };
  return { account, admin: true, alreadyAdmin: false, txHash: (await addAdmin(s.chain, { account })).txHash };
}

export async function removeAdminFlow(s: With<'chain'>, who: string) {
  const account = await resolveAddress(s.ctx, who);
  await requireAdmin(s.chain, 'only an admin can remove admins');
  if (!(await whois(s.chain, account)).admin) {
    throw new NotFoundError(`${account} is not an admin`, { hint: 'see the admins in `emr audit` (admin-added events)' });
  }
  return { account, admin: false, txHash: (await removeAdmin(s.chain, { account })).txHash };
}

export async function verifyProviderFlow(s: With<'chain'>, who: string) {
  const provider = await resolveAddress(s.ctx, who);
  await requireAdmin(s.chain);
  const before = await whois(s.chain, provider);
  if (before.verified) return { provider, verified: true, alreadyVerified: true, txHash: null, wasSuspended: before.suspended };
  // Unregistered or patient accounts: the contract's NotProvider (exit 3) says why.
  const tx = await verifyProvider(s.chain, { provider });
  return { provider, verified: true, alreadyVerified: false, txHash: tx.txHash, wasSuspended: before.suspended };
}

export async function suspendProviderFlow(s: With<'chain'>, who: string) {
  const provider = await resolveAddress(s.ctx, who);
  await requireAdmin(s.chain);
  if ((await whois(s.chain, provider)).suspended) return { provider, suspended: true, alreadySuspended: true, txHash: null };
  return { provider, suspended: true, alreadySuspended: false, txHash: (await suspendProvider(s.chain, { provider })).txHash };
}

/** docs/SHARING.md § 4: the recipient new records are also encrypted to; default the acting admin's. */
export async function publishEmergencyRecipientFlow(s: With<'chain'>, recipient: string) {
  await requireAdmin(s.chain);
  if ((await emergencyRecipient(s.chain)) === recipient) return { recipient, alreadySet: true, txHash: null };
  return { recipient, alreadySet: false, txHash: (await setEmergencyRecipient(s.chain, { recipient })).txHash };
}

/** A malformed recipient is a usage error (exit 2), before any chain call or gas. */
export const checkRecipient = (recipient: string): string => {
  parseRecipient(recipient.trim());
  return recipient.trim();
};
