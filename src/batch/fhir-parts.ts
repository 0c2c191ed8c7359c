/**
 * The content of the records of FHIR rows (MANIFEST.md § 3.2). Validation keeps only each
 * part's hash; the job reads and splits the file again when its first part is encrypted,
 * shares that split with the row's other parts, and drops it when the last part is taken,
 * so at most the files being worked on are held in memory, not the whole manifest's.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { readFhirFile } from '../fhir/detect.js';
import { splitFhir } from '../fhir/split.js';
import { fileChangedError } from '../records/add.js';
import type { ValidRow } from './validate.js';

export class FhirParts {
  private readonly open = new Map<string, { split: Promise<Buffer[]>; left: number }>();
  private readonly want = new Map<string, number>();

  constructor(rows: readonly ValidRow[]) {
    for (const r of rows) if (r.fhir) this.want.set(rowKey(r), (this.want.get(rowKey(r)) ?? 0) + 1);
  }

  /** Part `r.fhir.part` of `r.file`, checked against the hash validation saw (else the row fails: the file changed). */
  async take(r: ValidRow): Promise<Buffer> {
    const k = rowKey(r);
    let entry = this.open.get(k);
    if (!entry) {
      entry = { split: Promise.resolve().then(() => split(r.file)), left: this.want.get(k) ?? 1 };
      this.open.set(k, entry);
    }
    if (--entry.left <= 0) this.open.delete(k);
    const parts = await entry.split;
    const part = parts.length === r.fhir!.parts ? parts[r.fhir!.part] : undefined;
    if (!part || sha256(part) !== r.sha256) {
      throw fileChangedError(r.fileName);
    }
    return part;
  }
}

/** Parts of one manifest row are adjacent in the job's order; a row is its line. */
const rowKey = (r: ValidRow) => `${r.line}\0${r.file}`;

function split(file: string): Buffer[] {
  const res = readFhirFile(file);
  if (!res) throw new UsageError(`file ${file} is no longer FHIR JSON`, { hint: 'fix the file and run again with --resume' });
  return splitFhir(res).records.map((x) => x.content);
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
