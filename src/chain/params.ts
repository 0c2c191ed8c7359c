/** Validation of action parameters before they cost gas (CONTRACT.md § Functions). */
import { UsageError } from '../errors.js';
import { parseAddress } from './client.js';

export { parseAddress };

/** Unix seconds from a Date, a number of seconds or a bigint; must fit a uint40. */
export function toUnixSeconds(t: Date | number | bigint, what = 'expiry'): bigint {
  const s = t instanceof Date ? BigInt(Math.floor(t.getTime() / 1000)) : BigInt(t);
  if (s <= 0n || s >= 1n << 40n) throw new UsageError(`invalid ${what}`, { hint: 'use a future date' });
  return s;
}

export function checkMask(mask: number, what = 'types mask'): number {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffffffff) {
    throw new UsageError(`invalid ${what}`, { hint: 'a mask has one bit per record type (0..31)' });
  }
  return mask;
}

export function checkRecordType(t: number): number {
  if (!Number.isInteger(t) || t < 0 || t > 31) {
    throw new UsageError(`invalid record type index ${t}`, { hint: 'record types are indexes 0..31' });
  }
  return t;
}

export function checkId(id: bigint | number | string, what = 'record id'): bigint {
  let v: bigint;
  try {
    v = BigInt(id);
  } catch (e) {
    throw new UsageError(`invalid ${what}: ${String(id).slice(0, 40)}`, { hint: 'ids are positive integers', cause: e });
  }
  if (v <= 0n) throw new UsageError(`invalid ${what}: ${v}`, { hint: 'ids are positive integers' });
  return v;
}

export const ZERO_HASH = `0x${'00'.repeat(32)}`;

export function checkBytes32(v: string | undefined, what: string): string {
  if (v === undefined) return ZERO_HASH;
  if (!/^0x[0-9a-fA-F]{64}$/.test(v)) {
    throw new UsageError(`invalid ${what}`, { hint: 'expected 0x followed by 64 hex digits' });
  }
  return v.toLowerCase();
}
