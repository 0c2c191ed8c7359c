/**
 * `emr key export`, the whole use case (docs/CLI.md § Identity). The keystore is copied as
 * it is (no unlock); the age identity and the mnemonic are secrets: written only to the
 * file named (mode 0600, atomic, never over an existing file without --force) or, without
 * a file, to stdout for a pipe — never into --json (the command refuses that earlier).
 */
import { readFileSync } from 'node:fs';
import { Mnemonic } from 'ethers/wallet';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import type { SessionBase, Unlocked } from '../session/index.js';
import { openKeystore } from '../session/unlock.js';

export type KeyFormat = 'keystore-v3' | 'age-identity' | 'mnemonic';

export interface KeyExportInput {
  profile: string;
  format: KeyFormat;
  /** A file, or undefined for stdout. */
  output?: string;
  force: boolean;
}

type Session = SessionBase & { me?: Unlocked };

/** The session is unlocked (for that profile) when the format is `age-identity`: see {@link exportNeedsUnlock}. */
export const exportNeedsUnlock = (format: KeyFormat): boolean => format === 'age-identity';

async function exportText(s: Session, name: string, format: KeyFormat): Promise<string> {
  const { ctx } = s;
  if (format === 'keystore-v3') return readFileSync(ctx.profiles.keystorePath(name), 'utf8');
  if (format === 'age-identity') {
    const me = s.me;
    if (!me) throw new Error('exportKey: age-identity needs an unlocked session');
    // The layout age-keygen writes, so `age -d -i <file>` reads it.
    return `# created: ${s
      .now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')}\n# emr profile: ${name} (${me.profile.address})\n# public key: ${me.age.recipient}\n${me.age.identity}\n`;
  }
  // The recovery phrase needs the keystore's mnemonic, not the unlocked account: open it
  // once here (a separate unlock first asked for the passphrase twice).
  const secret = await openKeystore(ctx, name);
  ctx.holdSecret(secret.privateKey);
  if (!secret.mnemonic) {
    throw new UsageError(`profile '${name}' has no recovery phrase`, {
      hint: 'it was imported from a keystore without one; export --format keystore-v3 instead',
    });
  }
  ctx.holdSecret(secret.mnemonic.entropy);
  return Mnemonic.fromEntropy(secret.mnemonic.entropy).phrase + '\n';
}

export async function exportKey(s: Session, input: KeyExportInput): Promise<{ profile: string; format: KeyFormat; path: string }> {
  const text = await exportText(s, input.profile, input.format);
  if (input.output === undefined) {
    s.ctx.io.stdout.write(text);
    return { profile: input.profile, format: input.format, path: '-' };
  }
  writeFileAtomic(input.output, text, { mode: 0o600, overwrite: input.force });
  return { profile: input.profile, format: input.format, path: input.output };
}
