/**
 * `emr record export`, the whole use case (docs/STORAGE.md § "CAR files", docs/FHIR.md § 9):
 * whose records, then one of the two exports; the FHIR Bundle (PHI) is written 0600 and
 * only once complete.
 */
import { rmSync } from 'node:fs';
import { writeFileAtomic } from '../fs-atomic.js';
import type { With } from '../session/index.js';
import { resolveAddress } from '../session/resolve.js';
import type { Unlocked } from '../session/unlock.js';
import { exportCar } from './export-car.js';
import { exportFhir } from './export-fhir.js';

export interface ExportInput {
  /** As given: a 0x address or a local profile name; default the acting profile. */
  patient?: string;
  format: 'car' | 'fhir';
  output: string;
  force: boolean;
  /** FHIR: every version, not only the current ones (docs/FHIR.md § 9.1). */
  history?: boolean;
  /** FHIR: non-FHIR files inline in their DocumentReference (docs/FHIR.md § 9.4). */
  inline?: boolean;
}

export async function exportFhirFlow(s: With<'me' | 'chain' | 'store'>, input: ExportInput) {
  const patient = input.patient ? await resolveAddress(s.ctx, input.patient) : s.ctx.profile().address;
  const res = await exportFhir(s, patient, {
    history: input.history,
    inline: input.inline,
    now: s.now(),
  });
  writeFileAtomic(input.output, JSON.stringify(res.bundle, null, 1) + '\n', { mode: 0o600, overwrite: input.force });
  return { path: input.output, format: input.format, records: res.records, resources: res.resources, unreadable: res.unreadable };
}

export async function exportCarFlow(s: With<'chain' | 'store'> & { me?: Unlocked }, input: ExportInput) {
  const patient = input.patient ? await resolveAddress(s.ctx, input.patient) : s.ctx.profile().address;
  if (input.force) rmSync(input.output, { force: true });
  const res = await exportCar(s, patient, input.output);
  return { format: input.format, ...res };
}
