/**
 * A job's identity and its journal file (MANIFEST.md § 6): by default
 * `<home>/batch/<sha256(absolute manifest path ‖ NUL ‖ manifest bytes)>.journal`, so the
 * same manifest finds its own journal again and an edited manifest starts a new one.
 * Rows confirmed in any other journal of the same home, author, chain and contract count
 * as done too: fixing one bad row and re-running never re-adds the others.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { JOURNAL_VERSION, type JobEvent, readJournal, replay } from './journal.js';

export function manifestDigest(absPath: string, bytes: Uint8Array): string {
  return createHash('sha256').update(absPath).update('\0').update(bytes).digest('hex');
}

export function defaultJournalPath(home: string, digest: string): string {
  return join(home, 'batch', `${digest}.journal`);
}

export function jobHeader(p: {
  manifest: string;
  manifestSha256: string;
  author: string;
  chainId: bigint;
  contract: string;
  rows: number;
}): JobEvent {
  return {
    ev: 'job',
    v: JOURNAL_VERSION,
    manifest: p.manifest,
    manifestSha256: p.manifestSha256,
    author: p.author,
    chainId: p.chainId.toString(),
    contract: p.contract,
    rows: p.rows,
  };
}

const sameDeployment = (a: JobEvent, b: JobEvent) =>
  a.author.toLowerCase() === b.author.toLowerCase() && a.chainId === b.chainId && a.contract.toLowerCase() === b.contract.toLowerCase();

/** Refuses a journal made by another author, chain or contract (its facts would not hold here). */
export function checkHeader(existing: JobEvent | undefined, wanted: JobEvent, path: string): void {
  if (!existing) return;
  if (existing.v !== JOURNAL_VERSION)
    throw new UsageError(`batch journal ${path} has version ${existing.v}`, { hint: `this emr writes version ${JOURNAL_VERSION}` });
  if (!sameDeployment(existing, wanted)) {
    throw new UsageError(`batch journal ${path} belongs to another author, chain or contract`, {
      hint: 'use the profile and endpoint that started the job, or pass another --journal',
    });
  }
}

/** Keys confirmed (with ids) in the other journals of `dir` for the same deployment. */
export function confirmedElsewhere(
  dir: string,
  except: string,
  wanted: JobEvent,
  key?: Uint8Array,
): Map<string, { id: string; txHash: string }> {
  const out = new Map<string, { id: string; txHash: string }>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.journal')) continue;
    const path = join(dir, name);
    if (resolve(path) === resolve(except)) continue;
    try {
      // Authenticated like our own (MANIFEST.md § 6.4): a forged foreign journal cannot mark rows done.
      const s = replay(readJournal(path, key).events);
      if (!s.job || !sameDeployment(s.job, wanted)) continue;
      for (const [k, v] of s.confirmed) out.set(k, v);
    } catch {
      // An unreadable foreign journal proves nothing; it is not ours to repair.
    }
  }
  return out;
}
