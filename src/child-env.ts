/**
 * The environment given to every child process emr starts (DEVNET.md § Child processes).
 * A child such as the detached devnet anvil outlives the command and anyone with the same
 * uid can read its /proc/<pid>/environ for its whole life, so a passphrase the user passed
 * in EMR_PASSWORD must not travel there. Allow-list, not deny-list: a child gets only what
 * it needs to run (PATH, locale, temp dir, home), never EMR_* nor anything else.
 */
const KEEP = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'SYSTEMROOT',
  'NO_COLOR',
  'RUST_LOG',
  'RUST_BACKTRACE',
]);

export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && KEEP.has(k)) out[k] = v;
  return out;
}
