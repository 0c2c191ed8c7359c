/** A new profile (keygen, key import) never replaces one silently. */
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';

export function refuseExistingProfile(ctx: Context, name: string, force: boolean, hint: string): void {
  if (ctx.profiles.exists(name) && !force) throw new UsageError(`profile '${name}' already exists`, { hint });
}
