/**
 * Work over a list with at most `limit` items in flight: `limit` workers each take the next
 * item until none is left (or `signal` aborts), so a slow item holds up one worker, not the
 * list. Rejects with the first error, like Promise.all; the other workers finish the item
 * they hold and go on taking items, as the loops this replaced did.
 */
export async function forEachInFlight<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
