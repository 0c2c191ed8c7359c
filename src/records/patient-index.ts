/**
 * The site's patient index (docs/FHIR.md § 3.3), as hospitals keep one: for each patient
 * address this profile has filed FHIR for, the identifiers (system|value), birth date and
 * family name of the first import, so a Bundle about somebody else is refused before
 * anything is stored (PATIENT_MISMATCH, exit 4). Where the index does not know the address
 * yet, the patient's demographics record on chain stands in, when the author may read it.
 *
 * Demographics are PHI: the index is one age file encrypted to the profile's own recipient
 * (mode 0600), `<home>/patients/index-<address>.age`. Unlike the details cache it is not
 * rebuilt when it does not open: a safety check that silently forgot would let the wrong
 * patient through, so that is an error with a hint.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { canRead } from '../chain/grants.js';
import { listRecords } from '../chain/records.js';
import { IntegrityError, PatientMismatchError } from '../errors.js';
import { type Demographics, demographicsOf, differingFields, hasIdentifierValue } from '../fhir/demographics.js';
import { type BundleSubject, checkOnePatient } from '../fhir/subject.js';
import type { Only } from '../session/index.js';
import { readSealedFile, writeSealedFile } from '../session/sealed-file.js';
import { fetchRecord } from './fetch.js';
import { slotsFor } from './type-keys.js';

/** Bounds on what is read back (a corrupt or hostile file): 16 MiB, 100,000 patients. */
const MAX_INDEX_BYTES = 16 * 1024 * 1024;
const MAX_PATIENTS = 100_000;
/** `other` records looked at for a demographics record when the index does not know the patient. */
const MAX_DEMOGRAPHICS_LOOKUPS = 10;
const MAX_DEMOGRAPHICS_RECORD = 1024 * 1024;

export interface IndexedPatient extends Demographics {
  /** When this site first filed for the address (ISO). */
  since: string;
  /** Accepted corrections (`--accept-patient-change`), newest last. */
  changes?: { at: string; fields: string[]; reason: string }[];
}

export interface PatientCheck {
  /** What to record once the records are stored (undefined: nothing to index). */
  demographics?: Demographics;
  /** Fields a `--accept-patient-change` overrode. */
  accepted?: { fields: string[]; reason: string };
}

export class PatientIndex {
  private patients = new Map<string, IndexedPatient>();
  private dirty = false;
  private readonly file: string;

  private constructor(private readonly s: Only<'home' | 'chain' | 'store' | 'me'>) {
    this.file = join(s.home, 'patients', `index-${s.me.profile.address.toLowerCase()}.age`);
  }

  static async open(s: Only<'home' | 'chain' | 'store' | 'me'>): Promise<PatientIndex> {
    const ix = new PatientIndex(s);
    await ix.load();
    return ix;
  }

  private async load(): Promise<void> {
    if (!existsSync(this.file)) return;
    const broken = (cause?: unknown) =>
      new IntegrityError(`the patient index ${this.file} does not open`, {
        hint: 'it is encrypted to this profile; restore it from a backup, or move it aside to start a new one (the identity check then starts again from the demographics records on chain)',
        cause,
      });
    let text: Buffer;
    try {
      text = await readSealedFile(this.file, this.s.me.age.identity, MAX_INDEX_BYTES);
    } catch (e) {
      throw broken(e);
    }
    let doc: { v?: unknown; patients?: unknown };
    try {
      doc = JSON.parse(text.toString('utf8'));
    } catch (e) {
      throw broken(e);
    } finally {
      text.fill(0);
    }
    if (doc.v !== 1 || typeof doc.patients !== 'object' || doc.patients === null) throw broken();
    const list = Object.entries(doc.patients as Record<string, IndexedPatient>);
    if (list.length > MAX_PATIENTS) throw broken();
    for (const [a, p] of list) if (Array.isArray(p?.identifiers)) this.patients.set(a, p);
  }

  /**
   * Checks what a FHIR file says of its patient against what this site knows of `patient`
   * (docs/FHIR.md § 3.3). Throws PatientMismatchError naming the differing fields, unless
   * `accept` (a reason) overrides them; returns what to record once the records are stored.
   */
  async check(patient: string, subject: BundleSubject, o: { mrn?: string; accept?: string } = {}): Promise<PatientCheck> {
    const got = demographicsOf(subject);
    const fields: string[] = [];
    const others: string[] = [];
    if (o.mrn !== undefined && (subject.patient || subject.identifiers.length) && !hasIdentifierValue(subject, o.mrn)) fields.push('mrn');
    if (got) {
      const key = patient.toLowerCase();
      const known = this.patients.get(key) ?? (await this.fromChain(patient));
      if (known) fields.push(...differingFields(known, got));
      for (const [a, p] of this.patients) if (a !== key && got.identifiers.some((i) => p.identifiers.includes(i))) others.push(a);
    }
    if (fields.length === 0 && others.length === 0) return got ? { demographics: got } : {};
    const all = [...fields, ...others.map((a) => `already indexed under ${a}`)];
    if (o.accept !== undefined) return { ...(got ? { demographics: got } : {}), accepted: { fields: all, reason: o.accept } };
    throw new PatientMismatchError(
      `the FHIR file is not about ${patient} as this site knows them: ${all.join(', ').slice(0, 400)}; nothing was stored`,
      {
        hint: 'check that the file and --patient name the same person; for a real correction (a new name, a fixed birth date), add it again with --accept-patient-change "<reason>"',
        details: { fields, otherPatients: others },
      },
    );
  }

  /** Records a checked file's demographics once its records are stored (the first import sets them; later ones add identifiers). */
  record(patient: string, c: PatientCheck, now: Date): void {
    if (!c.demographics) return;
    const key = patient.toLowerCase();
    const old = this.patients.get(key);
    const at = now.toISOString();
    if (c.accepted) {
      // A correction: the new demographics replace the old, and identifiers move from any other address.
      for (const [a, p] of this.patients)
        if (a !== key) {
          const kept = p.identifiers.filter((i) => !c.demographics!.identifiers.includes(i));
          if (kept.length !== p.identifiers.length) this.patients.set(a, { ...p, identifiers: kept });
        }
      this.patients.set(key, {
        ...c.demographics,
        since: old?.since ?? at,
        changes: [...(old?.changes ?? []).slice(-49), { at, fields: c.accepted.fields, reason: c.accepted.reason.slice(0, 500) }],
      });
    } else if (old) {
      const ids = [...new Set([...old.identifiers, ...c.demographics.identifiers])].sort();
      this.patients.set(key, {
        ...old,
        identifiers: ids,
        ...(old.birthDate ? {} : c.demographics.birthDate ? { birthDate: c.demographics.birthDate } : {}),
        ...(old.family ? {} : c.demographics.family ? { family: c.demographics.family } : {}),
      });
    } else {
      this.patients.set(key, { ...c.demographics, since: at });
    }
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    const pt = Buffer.from(JSON.stringify({ v: 1, patients: Object.fromEntries(this.patients) }), 'utf8');
    mkdirSync(join(this.s.home, 'patients'), { recursive: true, mode: 0o700 });
    try {
      await writeSealedFile(this.file, this.s.me.age.recipient, pt);
    } finally {
      pt.fill(0);
    }
    this.dirty = false;
  }

  /**
   * The patient's demographics record on chain (a Patient in an `other` FHIR record), the
   * newest this profile may read: what the site knows when its own index does not.
   */
  private async fromChain(patient: string): Promise<Demographics | undefined> {
    const { chain, store, me } = this.s;
    // The `other` slot is the patient's secret (CONTRACT.md § Privacy): no key, no lookup.
    const slots = await slotsFor({ chain, store, me }, patient);
    if (!slots.known) return undefined;
    const other = slots.slotOf('other');
    const mine = me.profile.address.toLowerCase();
    // A voided demographics record (entered in error) says nothing of who the patient is.
    const candidates = (await listRecords(chain, { patient })).filter((r) => r.recordType === other && !r.voided).reverse();
    let looked = 0;
    for (const rec of candidates) {
      if (looked >= MAX_DEMOGRAPHICS_LOOKUPS) break;
      const own = rec.author.toLowerCase() === mine || rec.patient.toLowerCase() === mine;
      if (!own && !(await canRead(chain, { reader: me.profile.address, patient, recordType: rec.recordType, recordId: rec.id }))) continue;
      looked++;
      const parts: Buffer[] = [];
      let size = 0;
      const sink = new Writable({
        write(c: Buffer, _e, cb) {
          size += c.length;
          if (size <= MAX_DEMOGRAPHICS_RECORD) parts.push(Buffer.from(c));
          cb();
        },
      });
      let opened;
      try {
        opened = await fetchRecord({ chain, store, me }, rec, { kind: 'stdout', stream: sink });
      } catch {
        continue; // not openable here (no key delivered, damaged): only a hint, never a verdict
      }
      if (!opened.fhir || size > MAX_DEMOGRAPHICS_RECORD) continue;
      const text = Buffer.concat(parts);
      try {
        const res = JSON.parse(text.toString('utf8'));
        const d = demographicsOf(checkOnePatient(res));
        if (d && (d.birthDate || d.family || d.identifiers.length)) return d;
      } catch {
        // not a demographics record
      } finally {
        text.fill(0);
        for (const p of parts) p.fill(0);
      }
    }
    return undefined;
  }
}
