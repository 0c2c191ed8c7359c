/**
 * Retry without duplicates (issue: "a failed transaction is reported and a retry does not
 * duplicate"). Between "stored on IPFS" and "registered on chain" a record is pending:
 * <home>/pending/<key>.json holds its CID, keyed by what identifies the record to the user
 * (patient, author, type, content hash). A retry of the same content reuses the stored
 * ciphertext and first asks the chain whether that CID is already registered.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic.js';

export interface PendingRecord {
  cid: string;
  cidCodec: number;
  digest: string;
  sha256: string;
  size: number;
  storedAt: string;
}

export function pendingKey(p: { patient: string; author: string; type: string; sha256: string; title?: string }): string {
  return createHash('sha256')
    .update([p.patient.toLowerCase(), p.author.toLowerCase(), p.type, p.sha256, p.title ?? ''].join('\n'))
    .digest('hex');
}

export class PendingRecords {
  private readonly dir: string;
  constructor(home: string) {
    this.dir = join(home, 'pending');
  }
  get(key: string): PendingRecord | undefined {
    const f = join(this.dir, `${key}.json`);
    if (!existsSync(f)) return undefined;
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as PendingRecord;
    } catch {
      return undefined;
    }
  }
  put(key: string, rec: PendingRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(this.dir, `${key}.json`), JSON.stringify(rec) + '\n', { overwrite: true });
  }
  done(key: string): void {
    rmSync(join(this.dir, `${key}.json`), { force: true });
  }
}
