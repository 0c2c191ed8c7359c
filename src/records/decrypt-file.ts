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
import { NoMatchingIdentityError } from '../crypto/recipients.js';
import { AccessDeniedError, UsageError } from '../errors.js';
import type { SessionBase, Unlocked } from '../session/index.js';
import { rawKeyPath, readRawKey } from './raw-key.js';
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

/** "Not addressed to you" is ACCESS_DENIED (exit 3): the bytes are fine, the reader is not among their recipients. */
export function notAddressed(file: string, cause: unknown): AccessDeniedError {
  return new AccessDeniedError(`${file === '-' ? 'the input' : file} is not addressed to you (no identity of yours matches)`, {
    hint: `a copy saved with \`emr fetch <id> --raw\` opens with its key file ${file === '-' ? '<copy>.key' : rawKeyPath(file)} beside it; otherwise ask its author to encrypt it to you`,
    cause,
  });
}

export async function decryptFile(s: SessionBase & { me?: Unlocked }, input: DecryptInput): Promise<DecryptOutcome> {
  let identities: string[];
  if (input.identityFile) identities = identitiesFrom(input.identityFile);
  else if (s.me) identities = [s.me.age.identity];
  else throw new Error('decryptFile: needs -i or an unlocked session');
  const source = input.file === '-' ? s.ctx.io.stdin : input.file;
  const open = (fileKey?: Uint8Array) => {
    const o = { input: source, identities, ...(fileKey ? { fileKey } : {}) };
    return input.output === '-'
      ? // A stream cannot un-write: decrypt into a private temporary file, verified, and
        // only then copy it out (FORMAT.md § 1.6), so a tampered file prints no plaintext.
        withPrivateTemp(async (tmp) => {
          const r = await decryptBundle({ ...o, output: tmp });
          await copyToStream(tmp, s.ctx.io.stdout);
          return r;
        })
      : decryptBundle({ ...o, output: input.output });
  };
  let res;
  try {
    res = await open();
  } catch (e) {
    if (!(e instanceof NoMatchingIdentityError)) throw e;
    // Not addressed to us: a `fetch --raw` copy of a record whose key was delivered to us
    // carries it beside (FORMAT.md § 6); otherwise the file is someone else's (exit 3).
    const fileKey = await readRawKey(input.file, identities);
    if (!fileKey) throw notAddressed(input.file, e);
    try {
      res = await open(fileKey);
    } finally {
      fileKey.fill(0);
    }
  }
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
