/**
 * Shared by `grant --sign-only` and `revoke --sign-only` (not a command): where a signed
 * action goes. It is not a secret (anyone may relay it), but it is an authorization until
 * its deadline, so a file is written 0600 and never over an existing one.
 */
import type { SignedAction } from '../chain/signed-actions.js';
import type { Context } from '../context.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { refuseOverwrite } from './output-file.js';

export function writeSignedAction(ctx: Context, signed: SignedAction, output: string | undefined): string | null {
  const text = JSON.stringify(signed, null, 2) + '\n';
  if (!output || output === '-') {
    if (ctx.json) return null; // it rides in the JSON document's data
    ctx.io.stdout.write(text);
    return '-';
  }
  refuseOverwrite(output, false, 'choose another -o path');
  writeFileAtomic(output, text, { mode: 0o600 });
  return output;
}

export const SIGN_ONLY_OPTIONS = [
  { flags: '--sign-only', description: 'sign offline for a relayer (`emr relay <file>`) instead of sending; you need no ETH' },
  { flags: '--deadline <when>', description: 'with --sign-only: the signature is void after this (30m, 12h, 7d, ISO date)', default: '1d' },
  { flags: '-o, --output <file>', description: 'with --sign-only: write the signed action here (default: stdout)' },
];
