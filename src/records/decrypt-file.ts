/**
 * `emr decrypt <file|->`, the whole use case (docs/CLI.md § Local files): open a bundle (or
 * any age file addressed to the profile or to `-i` identities) and verify its signature
 * before the output appears — plaintext goes to a temporary file renamed only after the
 * last chunk authenticated and the signature verified. With `-o -` the verified plaintext
 * is copied out of a private temporary file only after every check passed (docs/FORMAT.md
 * § 1.6). A plain age file is reported as unsigned.
 */
import { readFileSync } from 'node:fs';
import { decryptBundle } from '../crypto/bundle.js';
import { UsageError } from '../errors.js';
import type { SessionBase, Unlocked } from '../session/index.js';
import { copyToStream, withPrivateTemp } from './save.js';

export interface DecryptInput {
  /** A path, or `-` for stdin. */
  file: string;
  /** A path, or `-` for stdout. */
  output: string;
  /** An age identity file to use instead of the session's profile. */
  identityFile?: string;
}

export type DecryptOutcome =
  | { path: string; signed: false; signatureValid: false; sha256: string; size: number }
  | {
      path: string;
      signed: true;
      signatureValid: true;
      author: string;
      sha256: string;
      size: number;
      patient: string;
      type: string;
      title: string | null;
      fileName: string | null;
      createdAt: string;
    };

function identitiesFrom(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read identity file ${file}`, { hint: 'check the path', cause: e });
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

export async function decryptFile(s: SessionBase & { me?: Unlocked }, input: DecryptInput): Promise<DecryptOutcome> {
  let identities: string[];
  if (input.identityFile) identities = identitiesFrom(input.identityFile);
  else if (s.me) identities = [s.me.age.identity];
  else throw new Error('decryptFile: needs -i or an unlocked session');
  const source = input.file === '-' ? s.ctx.io.stdin : input.file;
  const res =
    input.output === '-'
      ? // A stream cannot un-write: decrypt into a private temporary file, verified, and
        // only then copy it out (FORMAT.md § 1.6), so a tampered file prints no plaintext.
        await withPrivateTemp(async (tmp) => {
          const r = await decryptBundle({ input: source, output: tmp, identities });
          await copyToStream(tmp, s.ctx.io.stdout);
          return r;
        })
      : await decryptBundle({ input: source, output: input.output, identities });
  if (!res.signed) return { path: input.output, signed: false, signatureValid: false, sha256: res.sha256, size: res.size };
  const m = res.metadata;
  return {
    path: input.output,
    signed: true,
    signatureValid: true,
    author: res.author,
    sha256: res.sha256,
    size: res.size,
    patient: m.patient,
    type: m.type,
    title: m.title ?? null,
    fileName: m.fileName ?? null,
    createdAt: new Date(m.createdAt * 1000).toISOString(),
  };
}
