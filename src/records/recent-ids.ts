/**
 * The record ids this home saw last (docs/CLI.md § Everyday use, `emr completion`): shell completion
 * offers them after `fetch`, `verify`, `record show`, `--supersedes` …, reading a small
 * local file instead of asking the chain (a completion must never wait on a network).
 * Only the ids, which the chain publishes anyway: no type, title, patient or date. Newest
 * first, at most MAX_IDS, best effort (a failure to write never fails the command).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic.js';

export const MAX_IDS = 100;
/** Bounded read: MAX_IDS ids of up to 20 digits, one a line. */
const MAX_BYTES = MAX_IDS * 21;

export const recentIdsPath = (home: string): string => join(home, 'completion', 'record-ids');

export function rememberRecordIds(home: string, ids: readonly string[]): void {
  if (ids.length === 0) return;
  try {
    const path = recentIdsPath(home);
    const old = existsSync(path) ? readFileSync(path, 'utf8').slice(0, MAX_BYTES).split('\n') : [];
    const all = [...ids, ...old].filter((id) => /^\d{1,20}$/.test(id));
    const next = [...new Set(all)].slice(0, MAX_IDS);
    // Not in cache/: that directory holds only files sealed to the profile (FHIR.md § 6).
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileAtomic(path, next.join('\n') + '\n', { mode: 0o600, overwrite: true });
  } catch {
    // Only a completion aid: a read-only home or a full disk must not fail a list or an add.
  }
}
