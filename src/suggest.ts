/**
 * "Did you mean …" for a mistyped name (a command, an option, a profile): docs/CLI.md
 * § Global behaviour. Inputs are short names compared once each, so the distance is bounded.
 */

/** Levenshtein distance; Infinity past 64 characters (no name is that long). */
function distance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest names within a third of the word (at least 1 edit), best first; [] when none is close. */
export function suggest(word: string, names: readonly string[]): string[] {
  const scored = names
    .map((n) => [n, distance(word.toLowerCase(), n.toLowerCase())] as const)
    .filter(([n, d]) => d <= Math.max(1, Math.floor(Math.max(word.length, n.length) / 3)));
  const best = Math.min(...scored.map(([, d]) => d));
  return scored.filter(([, d]) => d === best).map(([n]) => n);
}

/** ` did you mean \`a\`?` (with a leading space), or '' when nothing is close. */
export function didYouMean(word: string, names: readonly string[]): string {
  const close = suggest(word, names).slice(0, 3);
  return close.length ? ` did you mean ${close.map((n) => `\`${n}\``).join(' or ')}?` : '';
}
