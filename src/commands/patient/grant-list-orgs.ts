/**
 * The organisations part of `emr grant list` (docs/SHARING.md § 9.8), beside its command so the
 * command stays one screen. Org names come from the chain: the renderer escapes every line.
 */
import type { Context } from '../../context.js';
import type { OrgGrantEntry } from '../../records/grant-list.js';

export function orgGrantLines(ctx: Context, orgGrants: OrgGrantEntry[]): { lines: string[]; warnings: string[] } {
  const live = orgGrants.filter((g) => g.live);
  if (!live.length) return { lines: [], warnings: [] };
  const lines = ['', 'Organisations:'];
  const warnings: string[] = [];
  for (const g of live) {
    const where = g.department ? `${g.name} (${g.department})` : g.name;
    lines.push(
      `  ${where} [org ${g.org}]: ${g.read.join(',') || '-'} until ${g.expires?.replace('.000Z', 'Z')}, ${g.members.length} member(s) now`,
    );
    if (g.pendingKeys.length) {
      const who =
        g.pendingKeys
          .slice(0, 5)
          .map((a) => ctx.label(a))
          .join(', ') + (g.pendingKeys.length > 5 ? ', …' : '');
      warnings.push(
        `${g.pendingKeys.length} member(s) of org ${g.org} joined after your last key delivery (${who}): they read only records added after they joined; run \`emr grant --org ${g.org} --types ${g.read.join(',') || 'all'}\` again to give them the older ones`,
      );
    }
  }
  return { lines, warnings };
}
