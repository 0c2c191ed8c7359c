/**
 * Long id lists for people (issue: `revoke` once printed 4,437 ids on one line): a count
 * and the first few; `--json` always carries every id.
 */
export const SUMMARY_IDS = 5;

export function summariseIds(ids: readonly string[], none = 'none'): string {
  if (ids.length === 0) return none;
  if (ids.length <= SUMMARY_IDS) return ids.join(', ');
  return `${ids.length.toLocaleString('en-US')}: ${ids.slice(0, SUMMARY_IDS).join(', ')}, … (use --json for all)`;
}
