/**
 * `emr grant <provider>`, the whole use case (docs/CLI.md § Sharing; docs/SHARING.md § 2):
 * the patient lets a provider read records of some types and/or some records until the
 * expiry, delivering the keys of the existing records in scope to the provider alone; or,
 * with --sign-only, signs the grant for a relayer (docs/CONTRACT.md § Signed actions).
 */
import { UsageError } from '../errors.js';
import { ALL_TYPES_MASK, RECORD_TYPES, typesToMask } from '../record-types.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { parseExpiry } from './expiry.js';
import { grantAccess } from './share.js';
import { SignOnlyLog } from './sign-only-log.js';
import { slotsFor } from './type-keys.js';

export interface GrantInput {
  /** The provider as given: a 0x address or a local profile name. */
  who: string;
  types: string[];
  ids: string[];
  readMask: number;
  write: boolean;
  /** Unix seconds. */
  expiry: number;
  /** Sign offline until this deadline (unix seconds) instead of sending. */
  signOnly?: { deadline: number };
}

export function parseList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The options as a grant, checked before any I/O (usage errors, exit 2). */
export function grantInput(
  who: string,
  opts: { types?: string; records?: string; expires: string; write?: boolean; signOnly?: boolean; deadline: string },
  now: Date,
): GrantInput {
  const types = parseList(opts.types);
  const ids = parseList(opts.records);
  if (!types.length && !ids.length) throw new UsageError('nothing to grant', { hint: 'pass --types a,b (or all) and/or --records id,id' });
  let readMask = 0;
  try {
    readMask = types.includes('all') ? ALL_TYPES_MASK : typesToMask(types);
  } catch (e) {
    throw new UsageError((e as Error).message, { hint: `types: ${RECORD_TYPES.join(', ')}` });
  }
  if (ids.some((i) => !/^\d+$/.test(i))) throw new UsageError('record ids are numbers', { hint: 'e.g. --records 3,7' });
  if (opts.write && !readMask) throw new UsageError('--write needs --types', { hint: 'writing is granted per type' });
  const expiry = parseExpiry(opts.expires, now);
  return {
    who,
    types,
    ids,
    readMask,
    write: !!opts.write,
    expiry,
    ...(opts.signOnly ? { signOnly: { deadline: parseExpiry(opts.deadline, now) } } : {}),
  };
}

export async function grantAccessFlow(s: With<'me' | 'chain' | 'store'>, g: GrantInput) {
  const provider = await resolveAddress(s.ctx, g.who);
  // On chain: the patient's secret slots, padded (CONTRACT.md § Privacy).
  const slots = await slotsFor(s, s.me.profile.address);
  const readMask = g.readMask ? slots.pad(slots.toMask(g.types.includes('all') ? RECORD_TYPES : g.types)) : 0;
  const res = await grantAccess(
    { chain: s.chain, store: s.store, me: s.me, scratch: s.scratch, log: new SignOnlyLog(s.home, s.me) },
    { provider, readMask, write: g.write, ids: g.ids.map(BigInt), expiry: g.expiry, signOnly: g.signOnly },
  );
  if (res.signed) return { ...res, signed: res.signed };
  return { ...res, signed: undefined, types: g.types.includes('all') ? [...RECORD_TYPES] : g.types, records: g.ids, write: g.write };
}
