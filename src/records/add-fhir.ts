/**
 * `emr record add` of a FHIR R4 file (docs/FHIR.md): validate, split a patient Bundle into
 * typed records (one per type), check the author may write every type
 * before anything is stored, encrypt each to its type's readers, sign, store, and
 * register them in packed `addRecords` transactions.
 */

import { fastTypedDataSigner } from '../crypto/typed-data-signer.js';
import { UsageError } from '../errors.js';
import type { FhirResource } from '../fhir/detect.js';
import { recordFileName, splitFhir } from '../fhir/split.js';
import { assertValidFhir } from '../fhir/validate.js';
import {
  type AddedRecord,
  type AddSession,
  type ClinicalMeta,
  checkType,
  type PreparedRecord,
  prepareRecord,
  registerPrepared,
} from './add.js';
import { assertSameType } from './clinical.js';
import type { PatientCheck, PatientIndex } from './patient-index.js';
import { assertCanWrite, recipientsForRecord } from './recipients.js';
import { writableSlot } from './type-keys.js';

/** Records per addRecords transaction (54 bytes of calldata each; well inside a block): several files in one command. */
const PER_TX = 250;

export interface FhirAddOptions {
  /** Overrides the inferred type (a single resource only). */
  type?: string;
  /** Keep billing resources (Claim, ExplanationOfBenefit, …) as `other` records. */
  billing?: boolean;
  clinical?: ClinicalMeta;
  /** Type index of the record named by clinical.supersedes (a correction keeps it). */
  supersededType?: number;
  /** The site's patient index (docs/FHIR.md § 3.3): the file's patient is checked against it before anything is stored. */
  index?: PatientIndex;
  /** `--accept-patient-change <reason>`: a real correction of the patient's demographics. */
  acceptPatientChange?: string;
}

export interface FhirAddResult {
  records: (AddedRecord & { title: string; careDate?: string; resources: { resourceType: string; id?: string }[] })[];
  skipped: Record<string, number>;
  /** What the patient check found, for the index once the records are stored. */
  patientCheck: PatientCheck;
}

export async function addFhirResource(
  s: AddSession,
  patient: string,
  file: string,
  res: FhirResource,
  o: FhirAddOptions = {},
): Promise<FhirAddResult> {
  assertValidFhir(res, file);
  if (o.type !== undefined && res.resourceType === 'Bundle') {
    throw new UsageError('--type does not apply to a FHIR Bundle', {
      hint: 'a Bundle is split into records by resource type (docs/FHIR.md § 3): drop --type',
    });
  }
  const split = splitFhir(res, { billing: o.billing });
  if (split.records.length === 0)
    throw new UsageError(`${file} holds no clinical resource to store`, {
      hint: 'see docs/FHIR.md § 3 for the resources that become records',
    });
  if (o.clinical?.supersedes !== undefined && split.records.length !== 1) {
    throw new UsageError('--supersedes needs exactly one record', {
      hint: 'a correction replaces one record: add the corrected resource alone',
    });
  }
  // The right patient, or nothing (docs/FHIR.md § 3.3): before any type or write check.
  const patientCheck = o.index ? await o.index.check(patient, split.subject, { mrn: o.clinical?.mrn, accept: o.acceptPatientChange }) : {};
  const types = new Map<string, number>();
  for (const r of split.records) {
    if (o.type !== undefined) r.type = o.type;
    types.set(r.type, checkType(r.type));
  }
  if (o.supersededType !== undefined) {
    assertSameType(o.supersededType, types.get(split.records[0]!.type)!, o.clinical!.supersedes!);
  }
  // Refuse before encrypting anything: a denied author stores nothing (docs/SHARING.md § 1).
  const author = s.me.profile.address;
  const recipients = new Map<string, string[]>();
  const warnings = new Map<string, string[]>();
  for (const name of types.keys()) {
    // On chain the patient's slot of the type (CONTRACT.md § Privacy).
    const slot = await writableSlot(s, patient, name);
    await assertCanWrite(s.chain, { author, patient, recordType: slot, typeName: name });
    const chosen = await recipientsForRecord(s.chain, { patient, author, authorRecipient: s.me.age.recipient, recordType: slot });
    recipients.set(name, chosen.recipients);
    // Readers left out never block a record; they are reported (SHARING.md § 1.5).
    if (chosen.warnings.length) warnings.set(name, chosen.warnings);
  }
  const signer = fastTypedDataSigner(await s.me.wallet());
  const out: FhirAddResult['records'] = [];
  // Same-type records adjacent: the contract re-checks authorisation only on a change.
  const ordered = [...split.records].sort((a, b) => types.get(a.type)! - types.get(b.type)!);
  for (let i = 0; i < ordered.length; i += PER_TX) {
    const chunk = ordered.slice(i, i + PER_TX);
    const prepared: PreparedRecord[] = [];
    for (const r of chunk) {
      prepared.push(
        await prepareRecord(
          s,
          patient,
          {
            file: recordFileName(file, r),
            type: r.type,
            title: r.title,
            mediaType: 'application/fhir+json',
            content: r.content,
            clinical: { ...o.clinical, fhir: '4.0.1', ...(r.careDate && !o.clinical?.careDate ? { careDate: r.careDate } : {}) },
          },
          { recipients: recipients.get(r.type)!, signer },
        ),
      );
    }
    const added = await registerPrepared(s, prepared);
    added.forEach((a, j) => {
      const r = chunk[j]!;
      out.push({
        ...a,
        ...(warnings.has(r.type) ? { warnings: warnings.get(r.type) } : {}),
        title: r.title,
        ...(r.careDate ? { careDate: r.careDate } : {}),
        resources: r.resources,
      });
    });
  }
  return { records: out, skipped: split.skipped, patientCheck };
}
