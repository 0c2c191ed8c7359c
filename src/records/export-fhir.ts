/**
 * `emr record export --format fhir` (docs/FHIR.md § 9): the records the acting profile can
 * read, as one FHIR R4 Bundle of type `collection`. FHIR-sourced records give back their
 * resources as they went in (same ids, codes, fullUrls); any other file becomes a
 * DocumentReference whose attachment names the content type, size, SHA-256 and the
 * `ipfs://` CID of the encrypted record. Every record is verified (fetchRecord) before its
 * content is used, and the result is validated with the same library as imports.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { mayReadRecord } from '../chain/grants.js';
import { orgNames } from '../chain/org-state.js';
import type { RecordInfo } from '../chain/records.js';
import { listRecords } from '../chain/records.js';
import { AccessDeniedError, IntegrityError, InternalError, UsageError } from '../errors.js';
import { applyFacility, applyMrn, applyOrgs, assembleEntries, bundleProblems, type OpenedRecord } from '../fhir/export-bundle.js';
import { findFhirError } from '../fhir/validate.js';
import type { Only } from '../session/index.js';
import { fetchRecord } from './fetch.js';
import { mediaTypeOf } from './media-type.js';

/** Largest record whose content is parsed as FHIR, or inlined, into the export (memory bound). */
const MAX_FHIR_RECORD = 64 * 1024 * 1024;

export interface FhirExport {
  bundle: Record<string, unknown>;
  records: number;
  resources: number;
  /** Records listed on chain that this profile cannot open (left out). */
  unreadable: string[];
}

export interface FhirExportOptions {
  /** Every version (docs/FHIR.md § 9.1), not only the current ones. */
  history?: boolean;
  /** Non-FHIR files carry their bytes in the DocumentReference (docs/FHIR.md § 9.4). */
  inline?: boolean;
  now?: Date;
}

type Json = Record<string, any>;

export async function exportFhir(
  s: Only<'home' | 'chain' | 'store' | 'me'>,
  patient: string,
  o: FhirExportOptions = {},
): Promise<FhirExport> {
  const opened: OpenedRecord[] = [];
  const unreadable: string[] = [];
  for (const rec of await listRecords(s.chain, { patient })) {
    if (!(await mayReadRecord(s.chain, s.me.profile.address, rec))) {
      unreadable.push(rec.id.toString());
      continue;
    }
    const parts: Buffer[] = [];
    let size = 0;
    const sha1 = createHash('sha1');
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        size += c.length;
        sha1.update(c);
        if (size <= MAX_FHIR_RECORD) parts.push(Buffer.from(c));
        cb();
      },
    });
    let meta;
    try {
      // Verified before a byte reaches the sink (fetchRecord: private temp, then copied).
      meta = await fetchRecord(s, rec, { kind: 'stdout', stream: sink });
    } catch (e) {
      if (e instanceof AccessDeniedError) {
        unreadable.push(rec.id.toString());
        continue;
      }
      throw e;
    }
    const content = size <= MAX_FHIR_RECORD ? Buffer.concat(parts) : undefined;
    try {
      const base: OpenedRecord = {
        id: rec.id.toString(),
        ...(meta.supersedes ? { supersedes: meta.supersedes } : {}),
        ...(meta.facility ? { facility: meta.facility } : {}),
        ...(meta.mrn ? { mrn: meta.mrn } : {}),
        ...(meta.org ? { org: meta.org } : {}),
        // Entered in error (CONTRACT.md § Void and dispense): left out, or marked in --history (FHIR.md § 9.1).
        ...(rec.voided ? { voided: true } : {}),
      };
      if (meta.fhir && content) {
        let res: Json;
        try {
          res = JSON.parse(content.toString('utf8'));
        } catch (e) {
          throw new IntegrityError(`record ${rec.id} is marked FHIR but is not JSON`, {
            hint: 'the author signed a malformed FHIR record',
            cause: e,
          });
        }
        const entries =
          res.resourceType === 'Bundle' && res.type === 'collection' && Array.isArray(res.entry)
            ? res.entry
            : [{ ...(res.id ? { fullUrl: `urn:emr:record:${rec.id}` } : {}), resource: res }];
        opened.push({ ...base, entries });
      } else {
        if (o.inline && !content)
          throw new UsageError(`record ${rec.id} is too large to inline (${size} bytes)`, {
            hint: `export without --inline, or fetch it with \`emr fetch ${rec.id}\``,
          });
        const attachment = { size, sha1: sha1.digest('base64'), ...(o.inline && content ? { data: content.toString('base64') } : {}) };
        opened.push({ ...base, document: documentReference(rec, meta, attachment) });
      }
    } finally {
      content?.fill(0);
      for (const p of parts) p.fill(0);
    }
  }
  // FHIR.md § 9.6: organisations before the facility, so an org's Encounter names the org.
  const orgIds = opened.map((r) => r.org).filter((x): x is string => !!x);
  const orgs = applyOrgs(opened, { chainId: s.chain.chainId, contract: s.chain.address }, await orgNames(s.chain, orgIds), o);
  applyFacility(opened);
  const entries = assembleEntries(orgs ? [...opened, orgs] : opened, { history: o.history });
  applyMrn(opened, entries);
  // FHIR JSON has no empty arrays: nothing readable is a Bundle without `entry` (FHIR.md § 9).
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: (o.now ?? new Date()).toISOString(),
    ...(entries.length ? { entry: entries } : {}),
  };
  const err = findFhirError(bundle as never);
  const broken = bundleProblems(bundle)[0];
  if (err || broken)
    throw new InternalError(`the FHIR export does not validate: ${err ? `${err.path}: ${err.message}` : broken}`, {
      hint: 'a record holds FHIR the validator refuses; export it alone with `emr fetch`',
    });
  return { bundle, records: opened.length, resources: entries.length, unreadable };
}

/**
 * A non-FHIR record as a DocumentReference (docs/FHIR.md § 9.4): the real content type (the
 * signed media type, else the file name's), size, SHA-1 (R4 Attachment.hash) of the
 * plaintext and the signed SHA-256 (extension), and with --inline the bytes. Never the
 * URL of the ciphertext: the record is named by its id (identifier `urn:emr:record`).
 */
function documentReference(
  rec: RecordInfo,
  o: {
    sha256: string;
    type: string;
    title: string | null;
    fileName: string | null;
    mediaType?: string | null;
    createdAt: string | null;
    author: string;
    careDate?: string;
    facility?: string;
    mrn?: string;
    encounterStart?: string;
    encounterEnd?: string;
    supersedes?: string;
    org?: string;
  },
  a: { size: number; sha1: string; data?: string },
): Json {
  const doc: Json = {
    resourceType: 'DocumentReference',
    id: `emr-record-${rec.id}`,
    identifier: [{ system: 'urn:emr:record', value: rec.id.toString() }, ...(o.mrn ? [{ type: { text: 'MRN' }, value: o.mrn }] : [])],
    status: 'current',
    type: { text: o.type },
    subject: { identifier: { system: 'urn:emr:ethereum-address', value: rec.patient } },
    ...(o.careDate || o.createdAt ? { date: toInstant(o.careDate) ?? o.createdAt! } : {}),
    author: [{ identifier: { system: 'urn:emr:ethereum-address', value: o.author } }],
    ...(o.title ? { description: o.title } : {}),
    ...(o.supersedes
      ? { relatesTo: [{ code: 'replaces', target: { identifier: { system: 'urn:emr:record', value: o.supersedes } } }] }
      : {}),
    content: [
      {
        attachment: {
          contentType: o.mediaType || mediaTypeOf(o.fileName) || 'application/octet-stream',
          ...(a.data !== undefined ? { data: a.data } : {}),
          size: a.size,
          hash: a.sha1,
          // The signed SHA-256 as well (R4 Attachment.hash is SHA-1).
          extension: [{ url: 'urn:emr:fhir:attachment-sha256', valueString: o.sha256 }],
          ...(o.fileName ? { title: o.fileName } : {}),
          ...(o.createdAt ? { creation: o.createdAt } : {}),
        },
      },
    ],
  };
  if (o.facility || o.encounterStart) {
    doc.context = {
      ...(o.encounterStart ? { period: { start: o.encounterStart, ...(o.encounterEnd ? { end: o.encounterEnd } : {}) } } : {}),
      ...(o.facility ? { related: [{ display: `facility: ${o.facility}` }] } : {}),
    };
  }
  return doc;
}

/** A full date-time is an instant; a bare date is not (DocumentReference.date is an instant). */
function toInstant(d: string | undefined): string | undefined {
  return d && /T\d{2}:\d{2}:\d{2}/.test(d) && /(Z|[+-]\d{2}:\d{2})$/.test(d) ? d : undefined;
}
