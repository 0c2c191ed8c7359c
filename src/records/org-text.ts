/**
 * How people read a record's organisation (docs/SHARING.md § 9.7). No imports: the record
 * list's view (a command file, loaded for `--help`) uses it, so it must not pull the chain in.
 */

/** `--json`'s `org` (docs/CLI.md): the id, and the chain's name (null when the chain has no such org). */
export interface OrgLabel {
  id: string;
  name: string | null;
}

/** How a person reads an org: its name, else its id. */
export const orgText = (o: OrgLabel): string => o.name ?? `org #${o.id}`;

/**
 * A table of records with an ORG column (the chain's name, else the id; the printer escapes
 * it) when one of them names an organisation; the same table otherwise. `rows[i]` is `records[i]`.
 */
export function withOrgColumn<V>(
  table: { columns: string[]; rows: V[][] },
  records: ReadonlyArray<{ org?: string; orgName?: string | null }>,
): { columns: string[]; rows: (V | string)[][] } {
  if (!records.some((r) => r.org)) return table;
  return {
    columns: [...table.columns, 'ORG'],
    rows: table.rows.map((row, i) => {
      const r = records[i];
      return [...row, r?.org ? orgText({ id: r.org, name: r.orgName ?? null }) : ''];
    }),
  };
}
