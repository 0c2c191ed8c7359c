/**
 * `emr record export --format fhir` (docs/FHIR.md § 9): the records the acting profile can
 * read, as one FHIR R4 Bundle of type `collection`. FHIR-sourced records give back their
 * resources as they went in (same ids, codes, fullUrls); any other file becomes a
 * DocumentReference whose attachment names the content type, size, SHA-256 and the
 * `ipfs://` CID of the encrypted record. Every record is verified (fetchRecord) before its
 * content is used, and the result is validated with the same library as imports.
 */
import { Writable } from 'node:stream';
import { canRead } from '../chain/grants.js';
import type { RecordInfo } from '../chain/records.js';
import { listRecords } from '../chain/records.js';
import { AccessDeniedError, IntegrityError, InternalError } from '../errors.js';
import { findFhirError } from '../fhir/validate.js';
import { fetchRecord } from './fetch.js';
import type { DetailDeps } from './list.js';

/** Largest record whose content is parsed as FHIR into the export (memory bound). */
const MAX_FHIR_RECORD = 64 * 1024 * 1024;

export interface FhirExport {
  bundle: Record<string, unknown>;
  records: number;
  resources: number;
  /** Records listed on chain that this profile cannot open (left out). */
  unreadable: string[];
}

type Json = Record<string, any>;

export async function exportFhir(deps: DetailDeps, patient: string): Promise<FhirExport> {
  const me = deps.me.profile.address.toLowerCase();
  const entries: Json[] = [];
  const unreadable: string[] = [];
  let records = 0;
  for (const rec of await listRecords(deps.chain, { patient })) {
    const own = rec.patient.toLowerCase() === me || rec.author.toLowerCase() === me;
    if (
      !own &&
      !(await canRead(deps.chain, { reader: deps.me.profile.address, patient: rec.patient, recordType: rec.recordType, recordId: rec.id }))
    ) {
      unreadable.push(rec.id.toString());
      continue;
    }
    const parts: Buffer[] = [];
    let size = 0;
    const sink = new Writable({
      write(c: Buffer, _e, cb) {
        size += c.length;
        if (size <= MAX_FHIR_RECORD) parts.push(Buffer.from(c));
        cb();
      },
    });
    let opened;
    try {
      // Verified before a byte reaches the sink (fetchRecord: private temp, then copied).
      opened = await fetchRecord({ chain: deps.chain, store: deps.store, me: deps.me }, rec, { kind: 'stdout', stream: sink });
    } catch (e) {
      if (e instanceof AccessDeniedError) {
        unreadable.push(rec.id.toString());
        continue;
      }
      throw e;
    }
    records++;
    const content = size <= MAX_FHIR_RECORD ? Buffer.concat(parts) : undefined;
    if (opened.fhir && content) {
      let res: Json;
      try {
        res = JSON.parse(content.toString('utf8'));
      } catch (e) {
        throw new IntegrityError(`record ${rec.id} is marked FHIR but is not JSON`, {
          hint: 'the author signed a malformed FHIR record',
          cause: e,
        });
      }
      if (res.resourceType === 'Bundle' && res.type === 'collection' && Array.isArray(res.entry)) entries.push(...res.entry);
      else entries.push({ ...(res.id ? { fullUrl: `urn:emr:record:${rec.id}` } : {}), resource: res });
    } else {
      entries.push({ fullUrl: `urn:emr:record:${rec.id}`, resource: documentReference(rec, opened, size) });
    }
    content?.fill(0);
    for (const p of parts) p.fill(0);
  }
  // FHIR JSON has no empty arrays: nothing readable is a Bundle without `entry` (FHIR.md § 9).
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: new Date().toISOString(),
    ...(entries.length ? { entry: entries } : {}),
  };
  const err = findFhirError(bundle as never);
  if (err)
    throw new InternalError(`the FHIR export does not validate: ${err.path}: ${err.message}`, {
      hint: 'a record holds FHIR the validator refuses; export it alone with `emr fetch`',
    });
  return { bundle, records, resources: entries.length, unreadable };
}

function documentReference(
  rec: RecordInfo,
  o: {
    sha256: string;
    type: string;
    title: string | null;
    fileName: string | null;
    createdAt: string | null;
    author: string;
    careDate?: string;
    facility?: string;
    mrn?: string;
    encounterStart?: string;
    encounterEnd?: string;
  },
  size: number,
): Json {
  const mediaType = o.fileName && /\.pdf$/i.test(o.fileName) ? 'application/pdf' : 'application/octet-stream';
  const doc: Json = {
    resourceType: 'DocumentReference',
    id: `emr-record-${rec.id}`,
    status: 'current',
    type: { text: o.type },
    subject: { identifier: { system: 'urn:emr:ethereum-address', value: rec.patient } },
    author: [{ identifier: { system: 'urn:emr:ethereum-address', value: o.author } }],
    ...(o.careDate || o.createdAt ? { date: toInstant(o.careDate) ?? o.createdAt! } : {}),
    ...(o.title ? { description: o.title } : {}),
    content: [
      {
        attachment: {
          contentType: mediaType,
          url: `ipfs://${rec.cid}`,
          size,
          // FHIR R4 Attachment.hash is SHA-1; the signed SHA-256 goes in an extension.
          extension: [{ url: 'urn:emr:fhir:attachment-sha256', valueString: o.sha256 }],
          ...(o.fileName ? { title: o.fileName } : {}),
          ...(o.createdAt ? { creation: o.createdAt } : {}),
        },
      },
    ],
  };
  if (o.facility || o.encounterStart || o.mrn) {
    doc.context = {
      ...(o.encounterStart ? { period: { start: o.encounterStart, ...(o.encounterEnd ? { end: o.encounterEnd } : {}) } } : {}),
      ...(o.facility ? { related: [{ display: `facility: ${o.facility}` }] } : {}),
    };
    if (o.mrn) doc.identifier = [{ type: { text: 'MRN' }, value: o.mrn }];
  }
  return doc;
}

/** A full date-time is an instant; a bare date is not (DocumentReference.date is an instant). */
function toInstant(d: string | undefined): string | undefined {
  return d && /T\d{2}:\d{2}:\d{2}/.test(d) && /(Z|[+-]\d{2}:\d{2})$/.test(d) ? d : undefined;
}
