/**
 * `emr record add <file>... --patient <who> [--type] [--title] [--supersedes <id>]
 * [--facility] [--encounter-start] [--encounter-end] [--mrn] [--fhir-billing]`
 * (docs/CLI.md § Records; FHIR files: docs/FHIR.md). A FHIR R4 JSON file is validated and its
 * type, title and date of care inferred; a patient Bundle becomes one record per type.
 */
import { NotFoundError, UsageError } from '../../errors.js';
import { defineCommand } from '../spec.js';

interface Opts {
  patient?: string;
  type?: string;
  title?: string;
  supersedes?: string;
  facility?: string;
  encounterStart?: string;
  encounterEnd?: string;
  mrn?: string;
  fhirBilling?: boolean;
}

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
    { flags: '--fhir-billing', description: 'keep FHIR billing resources (Claim, ExplanationOfBenefit, …) as `other` records' },
  ],
  examples: [
    'emr record add lab-2026-11-21.pdf --patient 0xAbc… --type lab --title "CBC panel"',
    'emr record add patient-bundle.json --patient alice',
    'emr record add corrected.pdf --patient alice --type lab --supersedes 12',
  ],
  async run(ctx, [files]: [string[]], opts: Opts) {
    if (!opts.patient) throw new UsageError('missing --patient <who>', { hint: 'the patient the record belongs to: 0x address or profile name' });
    // A missing file is NOT_FOUND (exit 7), found before any passphrase or chain call.
    const { existsSync } = await import('node:fs');
    const missing = files.find((f) => !existsSync(f));
    if (missing !== undefined) throw new NotFoundError(`no such file: ${missing}`, { hint: 'check the path' });
    const { resolveAddress } = await import('../../session/resolve.js');
    const { checkType, addRecordFiles } = await import('../../records/add.js');
    const { clinicalOptions, checkSupersedes, assertSameType, printable } = await import('../../records/clinical.js');
    const { readFhirFile } = await import('../../fhir/detect.js');
    if (opts.type !== undefined) checkType(opts.type);
    const clinical = clinicalOptions(opts);
    const fhirFiles = files.map((f) => ({ file: f, res: readFhirFile(f) }));
    const patient = await resolveAddress(ctx, opts.patient);
    const { chainFor } = await import('../../session/chain.js');
    const { storeFor, scratchDir } = await import('../../session/store.js');
    const { unlock } = await import('../../session/unlock.js');
    const me = await unlock(ctx);
    const chain = await chainFor(ctx, { signer: true });
    let supersededType: number | undefined;
    if (clinical.supersedes !== undefined) {
      if (files.length !== 1) throw new UsageError('--supersedes needs exactly one file', { hint: 'a correction replaces one record' });
      supersededType = await checkSupersedes(chain, patient, clinical.supersedes);
      if (!fhirFiles[0]!.res) assertSameType(supersededType, checkType(opts.type ?? 'note'), clinical.supersedes);
    }
    const store = await storeFor(ctx);
    const progress = (await import('../../session/prompts.js')).progress(ctx, `adding ${files.length} file(s)`);
    try {
      const deps = { home: ctx.home, chain, store, me, scratch: await scratchDir(ctx), now: () => ctx.clock.now() };
      const records: { id: string; cid: string; patient: string; author: string; type: string; txHash: string; existing?: boolean; warnings?: string[]; title?: string; careDate?: string; resources?: { resourceType: string; id?: string }[] }[] = [];
      const skipped: Record<string, number> = {};
      const { addFhirResource } = await import('../../records/add-fhir.js');
      for (const f of fhirFiles) {
        if (!f.res) continue;
        const r = await addFhirResource(deps, patient, f.file, f.res, { type: opts.type, billing: opts.fhirBilling, clinical, supersededType });
        records.push(...r.records);
        for (const [k, n] of Object.entries(r.skipped)) skipped[k] = (skipped[k] ?? 0) + n;
      }
      const plain = fhirFiles.filter((f) => !f.res).map((f) => f.file);
      if (plain.length) {
        records.push(...(await addRecordFiles(deps, patient, plain.map((file) => ({ file, type: opts.type ?? 'note', title: opts.title, clinical })))));
      }
      progress.succeed(`added ${records.length} record(s)`);
      // STORAGE.md § "Replicas": with several --ipfs-api, where each record is pinned.
      const locations = (store as Partial<import('../../ipfs/replicated.js').ReplicatedStore>).locations?.bind(store);
      const pinnedOn = new Map<string, string[]>();
      if (locations) for (const r of records) pinnedOn.set(r.cid, await locations(r.cid));
      // Readers left out (a bad or other-kind published key) never block a record (SHARING.md § 1.5).
      const warnings = [...new Set(records.flatMap((r) => r.warnings ?? []))];
      if (ctx.json) for (const w of warnings) ctx.io.stderr.write(`warning: ${w}\n`);
      const data: Record<string, unknown> = {
        records: records.map(({ id, cid, patient, author, type, txHash, title, careDate, resources }) => ({
          id, cid, patient, author, type, txHash,
          title: title ?? opts.title ?? null,
          date: careDate ?? null,
          ...(resources ? { resources } : {}),
          ...(locations ? { pinnedOn: pinnedOn.get(cid) } : {}),
        })),
        warnings,
      };
      if (Object.keys(skipped).length) data.skipped = skipped;
      return {
        data,
        view: {
          warnings,
          table: { columns: ['ID', 'TYPE', 'TITLE', 'CID', 'TX'], rows: records.map((r) => [r.id, r.type, printable(r.title ?? opts.title), r.cid, r.existing ? '(already registered)' : r.txHash]) },
          ...(Object.keys(skipped).length ? { lines: [`skipped (not records; see docs/FHIR.md § 3): ${Object.entries(skipped).map(([k, n]) => `${k} ×${n}`).join(', ')}`] } : {}),
        },
      };
    } catch (e) {
      progress.fail();
      throw e;
    }
  },
});
