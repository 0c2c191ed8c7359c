/**
 * `emr record show <id>`, the whole use case (docs/CLI.md § record show; docs/FHIR.md
 * § 11.3): one record for a person. The record is checked and verified like `fetch` (access
 * on chain, signature, patient, type, chain), read into memory, and a FHIR record's
 * resources are parsed and rendered as text (src/fhir/summary.ts); any other file is
 * described by its signed metadata. No read receipt is posted and no plaintext is written
 * (like `verify`); `emr fetch` keeps a copy and posts the receipt. Takes a session, returns
 * plain data (the web view calls it too).
 */
import { getRecord } from '../chain/records.js';
import { type RenderedResource, renderResource, resourcesOf } from '../fhir/summary.js';
import type { With } from '../session/index.js';
import { checkReadAccess } from './fetch.js';
import { parseFhirContent, readRecordContent } from './record-content.js';
import { findSupersededBy } from './supersede.js';

export interface ShownRecord {
  id: string;
  type: string;
  patient: string;
  author: string;
  cid: string;
  sha256: string;
  /** Plaintext size in bytes. */
  size: number;
  title: string | null;
  fileName: string | null;
  /** When the author signed it. */
  createdAt: string | null;
  fhir: boolean;
  careDate?: string;
  facility?: string;
  encounterStart?: string;
  encounterEnd?: string;
  mrn?: string;
  supersedes?: string;
  supersededBy?: string;
  /** FHIR records: the resources as they are in the record (parsed JSON). */
  resources?: Record<string, unknown>[];
  /** FHIR records: each resource as text, in the same order. */
  rendered?: RenderedResource[];
  /** The content was larger than the view reads (MAX_VIEW_RECORD): use `fetch`. */
  tooLarge?: boolean;
  /** Entered in error, on chain (docs/CLI.md § record void); `reason` is untrusted text. */
  voided: { by: string; reason: string; at: string; txHash: string } | null;
  /** Prescriptions only: dispensed on chain (once), or null (docs/CLI.md § prescription dispense). */
  dispensed?: { by: string; at: string; txHash: string } | null;
}

const iso = (t: number) => new Date(t * 1000).toISOString();

export async function showRecordFlow(s: With<'me' | 'chain' | 'store'>, id: bigint): Promise<ShownRecord> {
  const rec = await getRecord(s.chain, id);
  await checkReadAccess(s.chain, s.me.profile.address, rec);
  const { opened, size, content } = await readRecordContent(s, rec);
  try {
    const out: ShownRecord = {
      id: opened.id,
      type: opened.type,
      patient: opened.patient,
      author: opened.author,
      cid: opened.cid,
      sha256: opened.sha256,
      size,
      title: opened.title,
      fileName: opened.fileName,
      createdAt: opened.createdAt,
      fhir: !!opened.fhir,
      voided: rec.voided ? { by: rec.voided.by, reason: rec.voided.reason, at: iso(rec.voided.at), txHash: rec.voided.txHash } : null,
      ...(opened.type === 'prescription'
        ? { dispensed: rec.dispensed ? { by: rec.dispensed.by, at: iso(rec.dispensed.at), txHash: rec.dispensed.txHash } : null }
        : {}),
    };
    for (const k of ['careDate', 'facility', 'encounterStart', 'encounterEnd', 'mrn', 'supersedes'] as const)
      if (opened[k] !== undefined) out[k] = opened[k];
    if (opened.fhir) {
      if (content) {
        const resources = resourcesOf(parseFhirContent(opened.id, content));
        out.resources = resources;
        out.rendered = resources.map(renderResource);
      } else out.tooLarge = true;
    }
    // The record is verified and read: a failure to scan for corrections only leaves it unknown.
    const by = await findSupersededBy(s, rec).catch(() => undefined);
    if (by) out.supersededBy = by;
    return out;
  } finally {
    content?.fill(0);
  }
}
