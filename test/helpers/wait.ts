/**
 * Readiness by polling, never by sleeping (issue 9): a fixed sleep is either too short on
 * a loaded machine (a flaky test) or too long everywhere (a slow suite). `waitFor` polls a
 * condition until it holds, bounded by `timeoutMs`, and says what it waited for when not.
 */
export interface WaitForOptions {
  /** Upper bound; the test fails with `what` after it. */
  timeoutMs?: number;
  /** Pause between two polls. */
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/** Resolves with the condition's first truthy value; rejects after `timeoutMs` (default 30 s). */
export async function waitFor<T>(cond: () => T | Promise<T>, opts: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
      last = undefined;
    } catch (e) {
      last = e; // a condition that throws is "not yet" (e.g. a server still starting)
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
