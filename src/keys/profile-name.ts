/**
 * A profile's name and role, checked without loading keystores or their curve code: command
 * files validate them at parse time (start-up, README § Build and layout).
 */
import { UsageError } from '../errors.js';

export type Role = 'patient' | 'provider' | 'admin';
export const ROLES: readonly Role[] = ['patient', 'provider', 'admin'];

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkProfileName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new UsageError(`invalid profile name '${name}'`, {
      hint: 'use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
  }
  return name;
}
