/**
 * The run's context, loaded when a command runs rather than when `emr` starts: it brings the
 * profiles and keystores and, through them, the curve and hash code, which `--help` and a
 * usage error never need (start-up ≤ 1.5× `node -e 0`; README § Build and layout: the
 * command files are the one lazy-loading boundary, so the lazy import lives here).
 */
import type { Context, GlobalOptions, Io } from '../context.js';

export async function newContext(globals: GlobalOptions, io: Io, env: NodeJS.ProcessEnv): Promise<Context> {
  const { Context } = await import('../context.js');
  return new Context(globals, io, env);
}
