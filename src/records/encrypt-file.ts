/**
 * `emr encrypt <file|->`, the whole use case (docs/CLI.md § Local files): a record bundle
 * (docs/FORMAT.md) signed by the session's profile and encrypted to exactly the recipients
 * named — like age, the author is not added silently (`--to me` or `--self` does that).
 */
import { basename } from 'node:path';
import type { Context } from '../context.js';
import { encryptBundle } from '../crypto/bundle.js';
import type { SessionBase } from '../session/index.js';
import type { SigningIdentity } from '../session/local.js';
import { isAddress, resolveAddress, resolveRecipient } from '../session/resolve.js';

export interface EncryptInput {
  /** A path, or `-` for stdin. */
  file: string;
  /** A path, or `-` for stdout. */
  output: string;
  /** age1… strings, profile names, or registered 0x addresses. */
  to: string[];
  self: boolean;
  patient?: string;
  type: string;
  title?: string;
  /** Looks up a registered address's recipient on chain (when encryptNeedsChain). */
  lookup?: (address: string) => Promise<string>;
}

/**
 * A `--to 0x…` that is no local profile is looked up on chain: the session then connects
 * first, so an unreachable chain is reported before the passphrase is asked for.
 */
export const encryptNeedsChain = (ctx: Context, to: string[]): boolean => to.some((w) => isAddress(w) && !ctx.profiles.byAddress(w));

export async function encryptFile(
  s: SessionBase & { me: SigningIdentity },
  input: EncryptInput,
): Promise<{ path: string; recipients: string[]; sha256: string; size: number; author: string }> {
  const { ctx, me } = s;
  const recipients = await Promise.all(input.to.map((w) => resolveRecipient(ctx, w, input.lookup)));
  if (input.self) recipients.push(me.age.recipient);
  const unique = [...new Set(recipients)];
  const patient = input.patient ? await resolveAddress(ctx, input.patient) : me.profile.address;
  const fromStdin = input.file === '-';
  const res = await encryptBundle({
    input: fromStdin ? ctx.io.stdin : input.file,
    output: input.output === '-' ? ctx.io.stdout : input.output,
    recipients: unique,
    meta: {
      patient,
      author: me.profile.address,
      type: input.type,
      title: input.title,
      fileName: fromStdin ? undefined : basename(input.file),
      createdAt: Math.floor(s.now().getTime() / 1000),
    },
    signer: me.signer,
  });
  return { path: input.output, recipients: unique, sha256: res.sha256, size: res.size, author: me.profile.address };
}
