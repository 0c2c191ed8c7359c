/**
 * Long-running commands (`audit --follow`, `store serve`) run until the person stops them:
 * SIGINT (Ctrl-C) or SIGTERM ends the run normally (exit 0) with the signal's name in the
 * data. The listeners go away when the run closes, so a test harness that runs several
 * commands in one process does not pile them up.
 */
import type { Context } from '../context.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Resolves with the first SIGINT or SIGTERM after this call. Call it before starting the work it ends. */
export function untilSignal(ctx: Pick<Context, 'onClose'>): Promise<StopSignal> {
  return new Promise<StopSignal>((resolve) => {
    const int = () => resolve('SIGINT');
    const term = () => resolve('SIGTERM');
    process.once('SIGINT', int);
    process.once('SIGTERM', term);
    ctx.onClose(() => {
      process.off('SIGINT', int);
      process.off('SIGTERM', term);
    });
  });
}
