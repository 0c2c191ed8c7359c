/**
 * How `emr report disclosures` looks (docs/CLI.md § Sharing, `emr report disclosures`): a
 * table for people, CSV for a spreadsheet (csv-text.ts: quoting, formula cells neutralised).
 */
import { csvLines } from '../csv-text.js';
import type { View } from '../output.js';
import type { DisclosureReport } from './disclosures.js';

export const DISCLOSURE_CSV_COLUMNS = [
  'time',
  'block',
  'txHash',
  'kind',
  'who',
  'whoName',
  'records',
  'types',
  'authority',
  'requestId',
  'evidence',
  'detail',
] as const;

export function disclosureCsv(r: DisclosureReport): string[] {
  return csvLines(
    DISCLOSURE_CSV_COLUMNS,
    r.disclosures.map((d) => [
      d.time,
      d.block,
      d.txHash,
      d.kind,
      d.who,
      d.whoName,
      d.records.join(' '),
      d.types.join(' '),
      d.authority,
      d.requestId,
      d.evidence,
      d.detail,
    ]),
  );
}

const short = (a: string) => `${a.slice(0, 8)}…${a.slice(-4)}`;

export function disclosureView(r: DisclosureReport): View {
  const authority = (d: DisclosureReport['disclosures'][number]) => (d.requestId ? `request ${d.requestId}` : d.authority);
  return {
    title: `Disclosures of ${r.patient}, ${r.since} to ${r.until}`,
    table: {
      columns: ['time', 'what', 'who', 'records', 'authority', 'evidence'],
      rows: r.disclosures.map((d) => [
        d.time.replace('.000Z', 'Z'),
        d.kind,
        d.whoName ?? short(d.who),
        d.records.length ? d.records.map((id) => `#${id}`).join(' ') : '-',
        authority(d),
        d.evidence,
      ]),
    },
    lines: [
      '',
      `${r.counts.reads} read(s) proven by a receipt, ${r.counts.grants} grant(s), ${r.counts.emergencies} emergency opening(s), ${r.counts.releases} emergency key release(s)`,
      `note: ${r.note}`,
    ],
  };
}
