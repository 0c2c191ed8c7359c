/**
 * The one rule for the passphrase of a NEW key (keygen, key import --mnemonic), whatever its
 * source: --password-file, EMR_PASSWORD_FILE, EMR_PASSWORD or the prompt (docs/KEYSTORE.md
 * § Passphrases). At least 8 characters, always; and, unless --weak-passphrase-ok, not
 * guessable by zxcvbn (score 3 of 4 or more). The keystore's scrypt cost slows each guess,
 * but a top-ten password falls in the first guesses, so strength is checked up front.
 * zxcvbn and its dictionaries (~2 MB) load only here, so other commands start fast.
 */

import { UsageError } from '../errors.js';

export const MIN_PASSPHRASE_LENGTH = 8;
/** zxcvbn score (0-4) a new passphrase needs: 3 = "safely unguessable" (~10^10 guesses). */
export const MIN_PASSPHRASE_SCORE = 3;

/** zxcvbn's feedback keys, said in plain words (the English language pack is 1.2 MB more). */
const WARNINGS: Record<string, string> = {
  topTen: 'it is one of the ten most common passwords',
  topHundred: 'it is one of the hundred most common passwords',
  common: 'it is a very common password',
  similarToCommon: 'it is close to a common password',
  wordByItself: 'a single word is easy to guess',
  namesByThemselves: 'a name on its own is easy to guess',
  commonNames: 'common names are easy to guess',
  userInputs: 'it contains the profile name',
  straightRow: 'it is a row of keys',
  keyPattern: 'it is a short keyboard pattern',
  simpleRepeat: 'it repeats a character',
  extendedRepeat: 'it repeats a group of characters',
  sequences: 'it is a sequence such as abc or 123',
  recentYears: 'it is a recent year',
  dates: 'it is a date',
};

export interface Verdict {
  ok: boolean;
  /** Why not, in words (empty when ok). */
  reason: string;
}

/** Judges a candidate passphrase for a new key. `userInputs`: words an attacker would try first (profile name). */
export async function judgePassphrase(pass: string, opts: { weakOk?: boolean; userInputs?: string[] } = {}): Promise<Verdict> {
  if ([...pass].length < MIN_PASSPHRASE_LENGTH) return { ok: false, reason: `it has fewer than ${MIN_PASSPHRASE_LENGTH} characters` };
  if (opts.weakOk) return { ok: true, reason: '' };
  // zxcvbn and its dictionaries (~2 MB, ~0.1 s) load only when a new passphrase is judged: an
  // unlock reaches this module through the prompts but never judges (issue 11).
  const [{ ZxcvbnFactory }, common] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]);
  const z = new ZxcvbnFactory({ dictionary: { ...common.dictionary, userInputs: opts.userInputs ?? [] }, graphs: common.adjacencyGraphs });
  // zxcvbn is superlinear in length; past 100 characters only the first 100 are judged.
  const r = z.check(pass.slice(0, 100));
  if (r.score >= MIN_PASSPHRASE_SCORE) return { ok: true, reason: '' };
  const why = (r.feedback.warning && WARNINGS[r.feedback.warning]) || 'it is too easy to guess';
  return { ok: false, reason: `${why} (strength ${r.score} of 4, ${MIN_PASSPHRASE_SCORE} needed)` };
}

export const PASSPHRASE_HINT = `use ${MIN_PASSPHRASE_LENGTH}+ characters that are hard to guess, e.g. four or more unrelated words; --weak-passphrase-ok skips the strength check (tests only)`;

/** Throws a usage error (exit 2) for a new-key passphrase that breaks the rule. */
export async function checkNewPassphrase(
  pass: Uint8Array,
  opts: { weakOk?: boolean; userInputs?: string[]; source: string },
): Promise<void> {
  const v = await judgePassphrase(Buffer.from(pass).toString('utf8'), opts);
  if (!v.ok) throw new UsageError(`the passphrase from ${opts.source} is refused for a new key: ${v.reason}`, { hint: PASSPHRASE_HINT });
}
