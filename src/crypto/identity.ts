/**
 * age recipients and identities as bech32 strings (age.md § "X25519 recipient type";
 * age 1.3 / age-encryption 0.3.1 for `mlkem768x25519`):
 *   X25519   recipient `age1…`    (32-byte public key)   identity `AGE-SECRET-KEY-1…`    (32-byte scalar)
 *   hybrid   recipient `age1pq1…` (1216-byte X-Wing key) identity `AGE-SECRET-KEY-PQ-1…` (32-byte seed)
 * Hybrid strings exceed bech32's 90-character limit, which age lifts for them.
 */

import { randomBytes } from 'node:crypto';
import { bech32 } from '@scure/base';
import { UsageError } from '../errors.js';
import {
  asHybridPublicKey,
  asHybridSeed,
  asX25519PublicKey,
  asX25519SecretKey,
  type HybridPublicKey,
  type HybridSeed,
  type X25519PublicKey,
  type X25519SecretKey,
} from './keys.js';
import { x25519PublicKey } from './x25519.js';
import { xwing } from './xwing.js';

export type IdentityKind = 'x25519' | 'mlkem768x25519';

export type ParsedRecipient = { kind: 'x25519'; publicKey: X25519PublicKey } | { kind: 'mlkem768x25519'; publicKey: HybridPublicKey };

export type ParsedIdentity =
  | { kind: 'x25519'; secretKey: X25519SecretKey; publicKey: X25519PublicKey }
  | { kind: 'mlkem768x25519'; seed: HybridSeed };

export interface IdentityPair {
  /** The secret string (`AGE-SECRET-KEY-…`); never log it. */
  identity: string;
  /** The public string (`age1…`) others encrypt to. */
  recipient: string;
}

const X25519_RECIPIENT_HRP = 'age';
const HYBRID_RECIPIENT_HRP = 'age1pq';
const X25519_IDENTITY_HRP = 'AGE-SECRET-KEY-';
const HYBRID_IDENTITY_HRP = 'AGE-SECRET-KEY-PQ-';

function decodeBech32(s: string): { prefix: string; bytes: Uint8Array } | null {
  // bech32 (BIP 173): all-lowercase or all-uppercase, never mixed.
  if (s !== s.toLowerCase() && s !== s.toUpperCase()) return null;
  try {
    const { prefix, words } = bech32.decode(s as `${string}1${string}`, false);
    return { prefix, bytes: bech32.fromWords(words) };
  } catch {
    return null;
  }
}

function encodeBech32(hrp: string, bytes: Uint8Array): string {
  return bech32.encode(hrp, bech32.toWords(bytes), false);
}

export function encodeX25519Recipient(pub: X25519PublicKey): string {
  return encodeBech32(X25519_RECIPIENT_HRP, pub);
}
export function encodeHybridRecipient(pub: HybridPublicKey): string {
  return encodeBech32(HYBRID_RECIPIENT_HRP, pub);
}

/** Parses `age1…` / `age1pq1…`; throws UsageError with a hint on anything else. */
export function parseRecipient(s: string): ParsedRecipient {
  const t = s.trim();
  const d = decodeBech32(t);
  const prefix = d?.prefix.toLowerCase();
  if (d && prefix === HYBRID_RECIPIENT_HRP && d.bytes.length === 1216) {
    return { kind: 'mlkem768x25519', publicKey: asHybridPublicKey(d.bytes) };
  }
  if (d && prefix === X25519_RECIPIENT_HRP && d.bytes.length === 32) {
    return { kind: 'x25519', publicKey: asX25519PublicKey(d.bytes) };
  }
  throw new UsageError('not a valid age recipient', {
    hint: 'expected a public key starting with age1… (X25519) or age1pq1… (post-quantum hybrid)',
    details: { recipient: t.length > 24 ? `${t.slice(0, 20)}…` : t },
  });
}

/** Parses `AGE-SECRET-KEY-1…` / `AGE-SECRET-KEY-PQ-1…`; the message never echoes the input. */
export function parseIdentity(s: string): ParsedIdentity {
  const d = decodeBech32(s.trim());
  const prefix = d?.prefix.toUpperCase();
  if (d && prefix === HYBRID_IDENTITY_HRP && d.bytes.length === 32) {
    return { kind: 'mlkem768x25519', seed: asHybridSeed(d.bytes) };
  }
  if (d && prefix === X25519_IDENTITY_HRP && d.bytes.length === 32) {
    const secretKey = asX25519SecretKey(d.bytes);
    return { kind: 'x25519', secretKey, publicKey: x25519PublicKey(secretKey) };
  }
  throw new UsageError('not a valid age identity', {
    hint: 'expected a secret key starting with AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…',
  });
}

/** Deterministic: the keys module derives `secret32` (HKDF of the account secret). */
export function x25519IdentityFromSecret(secret32: Uint8Array): IdentityPair {
  const secretKey = asX25519SecretKey(Uint8Array.from(secret32));
  const identity = encodeBech32(X25519_IDENTITY_HRP, secretKey).toUpperCase();
  const recipient = encodeX25519Recipient(x25519PublicKey(secretKey));
  secretKey.fill(0);
  return { identity, recipient };
}

/** Deterministic: X-Wing key generation from a 32-byte seed, as age 1.3 does. */
export function mlkem768x25519IdentityFromSeed(seed32: Uint8Array): IdentityPair {
  const seed = asHybridSeed(Uint8Array.from(seed32));
  const identity = encodeBech32(HYBRID_IDENTITY_HRP, seed).toUpperCase();
  const recipient = encodeHybridRecipient(asHybridPublicKey(xwing().getPublicKey(seed)));
  seed.fill(0);
  return { identity, recipient };
}

export function generateIdentity(kind: IdentityKind = 'x25519'): IdentityPair {
  const secret = new Uint8Array(randomBytes(32));
  try {
    return kind === 'x25519' ? x25519IdentityFromSecret(secret) : mlkem768x25519IdentityFromSeed(secret);
  } finally {
    secret.fill(0);
  }
}

export function identityToRecipient(identity: string): string {
  const id = parseIdentity(identity);
  if (id.kind === 'x25519') {
    id.secretKey.fill(0);
    return encodeX25519Recipient(id.publicKey);
  }
  const pub = asHybridPublicKey(xwing().getPublicKey(id.seed));
  id.seed.fill(0);
  return encodeHybridRecipient(pub);
}
