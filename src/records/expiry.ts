/** `--expires 30d | 12h | 2w | 1y | <ISO date>` (docs/CLI.md § Sharing) → unix seconds. */
import { UsageError } from '../errors.js';

const UNIT: Record<string, number> = { m: 60, h: 3600, d: 86400, w: 7 * 86400, y: 365 * 86400 };

export function parseExpiry(text: string, now: Date): number {
  const m = /^(\d+)\s*([mhdwy])$/.exec(text.trim());
  const nowS = Math.floor(now.getTime() / 1000);
  if (m) return nowS + Number(m[1]) * UNIT[m[2]!]!;
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new UsageError(`cannot read expiry '${text}'`, { hint: 'use a duration like 30d, 12h, 2w, 1y, or an ISO date like 2027-01-31' });
  const s = Math.floor(t / 1000);
  if (s <= nowS) throw new UsageError(`expiry ${text} is in the past`, { hint: 'give a future date or a duration like 30d' });
  return s;
}
