/** `emr grant list [--patient <who>]` (docs/FHIR.md § 8): every live grant, and who can still decrypt what. */
import { defineCommand } from '../spec.js';
import { orgGrantLines } from './grant-list-orgs.js';

export const grantList = defineCommand({
  name: 'list',
  summary: 'who can read your records now, and who could still decrypt which (re-key candidates)',
  options: [
    { flags: '--patient <who>', description: 'the patient (default: the acting profile)' },
    { flags: '--format <format>', description: 'fhir: the grants as FHIR R4 Consent resources (a collection Bundle)', choices: ['fhir'] },
  ],
  examples: ['emr grant list', 'emr grant list --json', 'emr grant list --format fhir --json'],
  async run(ctx, _args, opts: { patient?: string; format?: string }) {
    const [{ openChainSession }, { grantListFlow, terminalJson }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../records/grant-list.js'),
    ]);
    // Type names need the patient's key (docs/CONTRACT.md § Privacy): unlocked when answerable.
    const s = await openChainSession(ctx, { chain: true, unlock: 'ifAnswerable' });
    const { patient, grants, orgGrants, fhir } = await grantListFlow(s, {
      patient: opts.patient,
      format: opts.format === 'fhir' ? 'fhir' : undefined,
    });
    // Without --json: indented JSON, one line per line (a single string would be escaped to one line).
    if (fhir) return { data: fhir, view: { lines: terminalJson(fhir) } };
    const name = (a: string) => ctx.label(a);
    const live = grants.filter((g) => g.live);
    const stale = grants.filter((g) => g.stillDecryptable.length > 0);
    const orgs = orgGrantLines(ctx, orgGrants);
    const short = (ids: string[]) => (ids.length > 10 ? `${ids.slice(0, 10).join(',')},… (${ids.length})` : ids.join(',') || '-');
    return {
      data: {
        patient,
        grants: grants.map((g) => ({ ...g, name: ctx.label(g.provider, 'profile'), contactName: ctx.label(g.provider, 'contact') })),
        orgGrants,
      },
      view: {
        title: `Access to the records of ${name(patient)}`,
        table: {
          columns: ['PROVIDER', 'READ', 'WRITE', 'RECORDS', 'EXPIRES', 'EMERGENCY', 'KEYS'],
          rows: live.map((g) => [
            name(g.provider),
            g.read.join(',') || '-',
            g.write.join(',') || '-',
            short(g.records),
            g.expires?.replace('.000Z', 'Z'),
            g.emergency.open ? `open until ${g.emergency.until}` : '-',
            g.keysDelivered ? `delivered (${g.keysDelivered})` : 'none',
          ]),
        },
        lines: [
          ...orgs.lines,
          ...(stale.length
            ? [
                '',
                'Could still decrypt (keys held; re-key with `emr revoke <provider> --rekey`):',
                ...stale.map((g) => `  ${name(g.provider)}: records ${short(g.stillDecryptable)}`),
              ]
            : []),
        ],
        warnings: orgs.warnings,
      },
    };
  },
});
