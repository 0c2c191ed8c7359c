/**
 * `emr record add <file>... --patient <who> [--type] [--title] [--supersedes <id>]
 * [--facility] [--encounter-start] [--encounter-end] [--mrn] [--fhir-billing] [--accept-patient-change <reason>]`
 * (docs/CLI.md § Records; FHIR files: docs/FHIR.md). A FHIR R4 JSON file is validated and its
 * type, title and date of care inferred; a patient Bundle becomes one record per type.
 */
import type { AddOptions } from '../../records/add-record.js';
import { defineCommand } from '../spec.js';

export const recordAdd = defineCommand({
  name: 'add',
  summary: 'encrypt, sign, store and register records for a patient (FHIR R4 JSON is split by type)',
  args: ['<file...>'],
  options: [
    { flags: '--patient <who>', description: 'the patient: 0x address or profile name' },
    { flags: '--type <type>', description: 'record type (see `emr record types`); default note, or inferred from FHIR' },
    { flags: '--title <text>', description: 'a short title (inside the encryption, never on chain)' },
    { flags: '--supersedes <id>', description: 'this record corrects record <id> of the same patient (signed inside the record)' },
    { flags: '--facility <text>', description: 'where the care took place (inside the encryption)' },
    { flags: '--encounter-start <date>', description: 'encounter start, ISO 8601 date or date-time' },
    { flags: '--encounter-end <date>', description: 'encounter end, ISO 8601 date or date-time' },
    { flags: '--mrn <text>', description: 'local medical record number at the facility (inside the encryption)' },
    { flags: '--org <org>', description: 'the organisation you write for (id or name; you must be a member; signed inside)' },
    { flags: '--fhir-billing', description: 'keep FHIR billing resources (Claim, ExplanationOfBenefit, …) as `other` records' },
    {
      flags: '--accept-patient-change <reason>',
      description:
        "accept a FHIR Patient that differs from what this site knows of --patient (a real correction; the reason is kept in the site's patient index)",
    },
  ],
  examples: [
    'emr record add lab-2026-11-21.pdf --patient 0xAbc… --type lab --title "CBC panel"',
    'emr record add patient-bundle.json --patient alice',
    'emr record add corrected.pdf --patient alice --type lab --supersedes 12',
  ],
  async run(ctx, [files]: [string[]], opts: AddOptions) {
    const [{ openSession }, { addInput, addRecordsFlow }, { printable }] = await Promise.all([
      import('../../session/index.js'),
      import('../../records/add-record.js'),
      import('../../records/clinical.js'),
    ]);
    const input = addInput(files, opts);
    const s = await openSession(ctx, { signer: true, store: true });
    const { existing, ...data } = await addRecordsFlow(s, input);
    if (ctx.json) for (const w of data.warnings) ctx.io.stderr.write(`warning: ${w}\n`);
    return {
      data,
      view: {
        warnings: [
          ...data.warnings,
          ...(data.patientChange ? [`patient demographics changed (${data.patientChange.fields.join(', ')}): accepted`] : []),
        ],
        table: {
          columns: ['ID', 'TYPE', 'TITLE', 'CID', 'TX'],
          rows: data.records.map((r) => [
            r.id,
            r.type,
            printable(r.title),
            r.cid,
            existing.includes(r.id) ? '(already registered)' : r.txHash,
          ]),
        },
        ...(data.skipped
          ? {
              lines: [
                `skipped (not records; see docs/FHIR.md § 3): ${Object.entries(data.skipped)
                  .map(([k, n]) => `${k} ×${n}`)
                  .join(', ')}`,
              ],
            }
          : {}),
      },
    };
  },
});
