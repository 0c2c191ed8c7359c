/**
 * Shared by the commands that write a file (not a command): docs/CLI.md "nothing lost" — an
 * existing file is never replaced without --force, and in --json mode stdout is reserved
 * for the one JSON document.
 */
import { existsSync } from 'node:fs';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';

/** Throws USAGE when `path` exists and may not be replaced. `-` (stdout) is always fine. */
export function refuseOverwrite(path: string, force: boolean | undefined, hint = 'choose another -o path or pass --force'): void {
  if (path !== '-' && existsSync(path) && !force) throw new UsageError(`${path} already exists`, { hint });
}

/** Throws USAGE when bytes would go to stdout while stdout carries the JSON document. */
export function refuseStdoutInJson(ctx: Context, path: string): void {
  if (path === '-' && ctx.json) throw new UsageError('--json needs -o <file>', { hint: 'stdout carries the JSON document in --json mode' });
}
