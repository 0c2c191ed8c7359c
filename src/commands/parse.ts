/** Option values every command parses the same way. */
import { UsageError } from '../errors.js';

/** A whole number from 1 to `max` given to `flag`, else a usage error (exit 2) with an example. */
export function positiveInt(v: string, flag: string, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}`, { hint: `e.g. ${flag} 4` });
  return n;
}
