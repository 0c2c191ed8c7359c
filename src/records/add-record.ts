/**
 * `emr record add <file>...`, the whole use case (docs/CLI.md § Records; FHIR files:
 * docs/FHIR.md): a FHIR R4 JSON file is validated and its type, title and date of care
 * inferred (a patient Bundle becomes one record per type); any other file is one record of
 * the given type. Each is encrypted, signed, stored and pinned, then registered (add.ts).
 */

import { existsSync } from 'node:fs';
import { memberOrg } from '../chain/org-state.js';
import { NotFoundError, UsageError } from '../errors.js';
import { type FhirResource, readFhirFile } from '../fhir/detect.js';
import type { ReplicatedStore } from '../ipfs/replicated.js';
import { typeIndex } from '../record-types.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import { addRecordFiles, type ClinicalMeta, checkType } from './add.js';
import { addFhirResource } from './add-fhir.js';
import { assertSameType, checkSupersedes, clinicalOptions } from './clinical.js';
import { PatientIndex } from './patient-index.js';
import { rememberRecordIds } from './recent-ids.js';
import type { RecordRef } from './record-ref.js';
import { slotsFor } from './type-keys.js';

export interface AddOptions {
  patient?: string;
  type?: string;
  title?: string;
  supersedes?: string;
  facility?: string;
  encounterStart?: string;
  encounterEnd?: string;
  mrn?: string;
  /** docs/FORMAT.md § 3.5: the organisation the author writes for (id or name; the author must be a member). */
  org?: string;
  fhirBilling?: boolean;
  acceptPatientChange?: string;
}

export interface AddInput {
  /** The patient as given: a 0x address or a local profile name. */
  patient: string;
  files: { file: string; res: FhirResource | undefined }[];
  type?: string;
  title?: string;
  clinical: ClinicalMeta;
  org?: string;
  billing?: boolean;
  /** docs/FHIR.md § 3.3: the reason for accepting a patient whose demographics differ. */
  acceptPatientChange?: string;
}

/**
 * The options checked before any I/O beyond reading the input files: a missing file is
 * NOT_FOUND (exit 7) and a bad option a usage error, before any passphrase or chain call.
 */
export function addInput(files: string[], opts: AddOptions): AddInput {
  if (!opts.patient)
    throw new UsageError('missing --patient <who>', { hint: 'the patient the record belongs to: 0x address or profile name' });
  const missing = files.find((f) => !existsSync(f));
  if (missing !== undefined) throw new NotFoundError(`no such file: ${missing}`, { hint: 'check the path' });
  if (opts.type !== undefined) checkType(opts.type);
  const clinical = clinicalOptions(opts);
  if (clinical.supersedes !== undefined && files.length !== 1)
    throw new UsageError('--supersedes needs exactly one file', { hint: 'a correction replaces one record' });
  return {
    patient: opts.patient,
    files: files.map((f) => ({ file: f, res: readFhirFile(f) })),
    type: opts.type,
    title: opts.title,
    clinical,
    ...(opts.org !== undefined ? { org: opts.org } : {}),
    billing: opts.fhirBilling,
    ...(opts.acceptPatientChange !== undefined ? { acceptPatientChange: acceptReason(opts.acceptPatientChange) } : {}),
  };
}

/** The reason a correction of the patient's demographics is accepted: one line of text, not empty. */
function acceptReason(reason: string): string {
  const r = reason.trim();
  if (!r || r.length > 500 || /[\u0000-\u001f\u007f]/.test(r))
    throw new UsageError('--accept-patient-change needs a reason: one line of text (at most 500 characters)', {
      hint: 'e.g. --accept-patient-change "name changed on marriage, ID checked at the desk"',
    });
  return r;
}

export interface AddedRow extends RecordRef {
  title: string | null;
  date: string | null;
  resources?: { resourceType: string; id?: string }[];
  /** With several --ipfs-api (docs/STORAGE.md § "Replicas"): where the record is pinned. */
  pinnedOn?: string[];
}

export interface AddOutcome {
  records: AddedRow[];
  warnings: string[];
  /** FHIR resources that are not records, by resource type (docs/FHIR.md § 3). */
  skipped?: Record<string, number>;
  /** docs/FHIR.md § 3.3: demographics that differed from the site's index and were accepted. */
  patientChange?: { fields: string[]; reason: string };
  /** Ids a retry found already registered (nothing sent for them); not part of the JSON. */
  existing: string[];
}

export async function addRecordsFlow(s: With<'me' | 'chain' | 'store'>, input: AddInput): Promise<AddOutcome> {
  const ctx = s.ctx;
  const patient = await resolveAddress(ctx, input.patient);
  // FORMAT.md § 3.5: the record names its organisation, signed; only a current member may name it.
  const clinical =
    input.org === undefined ? input.clinical : { ...input.clinical, org: await memberOrg(s.chain, input.org, s.me.profile.address) };
  let supersededType: number | undefined;
  if (clinical.supersedes !== undefined) {
    // The record's slot, as the vocabulary index of its type (CONTRACT.md § Privacy).
    const slot = await checkSupersedes(s.chain, patient, clinical.supersedes);
    supersededType = typeIndex((await slotsFor(s, patient)).nameOf(slot) ?? '') ?? -1;
    if (!input.files[0]!.res) assertSameType(supersededType, checkType(input.type ?? 'note'), clinical.supersedes);
  }
  const progress = s.progress(`adding ${input.files.length} file(s)`);
  try {
    const records: (RecordRef & {
      existing?: boolean;
      warnings?: string[];
      title?: string;
      careDate?: string;
      resources?: { resourceType: string; id?: string }[];
    })[] = [];
    const skipped: Record<string, number> = {};
    const index = input.files.some((f) => f.res) ? await PatientIndex.open(s) : undefined;
    let patientChange: AddOutcome['patientChange'];
    for (const f of input.files) {
      if (!f.res) continue;
      const r = await addFhirResource(s, patient, f.file, f.res, {
        type: input.type,
        billing: input.billing,
        clinical,
        supersededType,
        index,
        acceptPatientChange: input.acceptPatientChange,
      });
      records.push(...r.records);
      for (const [k, n] of Object.entries(r.skipped)) skipped[k] = (skipped[k] ?? 0) + n;
      // Indexed once stored, so that the next file of this command is checked against it too.
      index!.record(patient, r.patientCheck, s.now());
      if (r.patientCheck.accepted) patientChange = r.patientCheck.accepted;
      await index!.save();
    }
    const plain = input.files.filter((f) => !f.res).map((f) => f.file);
    if (plain.length) {
      records.push(
        ...(await addRecordFiles(
          s,
          patient,
          plain.map((file) => ({ file, type: input.type ?? 'note', title: input.title, clinical })),
        )),
      );
    }
    progress.succeed(`added ${records.length} record(s)`);
    rememberRecordIds(s.home, records.map((r) => r.id).reverse()); // for shell completion

    // STORAGE.md § "Replicas": with several --ipfs-api, where each record is pinned.
    const locations = (s.store as Partial<ReplicatedStore>).locations?.bind(s.store);
    const pinnedOn = new Map<string, string[]>();
    if (locations) for (const r of records) pinnedOn.set(r.cid, await locations(r.cid));
    return {
      records: records.map(({ id, cid, patient, author, type, txHash, title, careDate, resources }) => ({
        id,
        cid,
        patient,
        author,
        type,
        txHash,
        title: title ?? input.title ?? null,
        date: careDate ?? null,
        ...(resources ? { resources } : {}),
        ...(locations ? { pinnedOn: pinnedOn.get(cid) } : {}),
      })),
      // Readers left out (a bad or other-kind published key) never block a record (SHARING.md § 1.5).
      warnings: [...new Set(records.flatMap((r) => r.warnings ?? []))],
      ...(Object.keys(skipped).length ? { skipped } : {}),
      ...(patientChange ? { patientChange } : {}),
      existing: records.filter((r) => r.existing).map((r) => r.id),
    };
  } catch (e) {
    progress.fail();
    throw e;
  }
}
