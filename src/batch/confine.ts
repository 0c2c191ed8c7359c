/**
 * Which files a manifest row may name (MANIFEST.md § 3.1). Threat: a manifest is data from
 * elsewhere (an export of another system, a colleague's script); a row naming
 * `../../.ssh/id_rsa` or the emr keystore would have that file encrypted to the patient and
 * published. Rule: a row's file, symlinks resolved, lies under the manifest's directory
 * unless `--allow-outside`; and never under the emr home, whatever the flags: everything
 * there is emr's own (keys, the agent's secret, caches, journals, the store, deliveries …).
 * A list of managed directories misses whatever emr adds later (issue 20 § 11: `agent/` and
 * `cache/` were missing, and the agent's secret became a record), so the rule is the home.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** `child` is `dir` itself or below it. */
function within(dir: string, child: string): boolean {
  const rel = relative(dir, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

export interface Confinement {
  /** The manifest's directory. */
  baseDir: string;
  home: string;
  allowOutside: boolean;
}

/**
 * The path to read for a row (symlinks resolved, so what was checked is what is read), or
 * the reason it is refused. A file that does not exist resolves to itself and fails later
 * as a missing file.
 */
export function confineRowFile(file: string, c: Confinement): { path: string } | { reason: string } {
  const path = real(file);
  const home = real(c.home);
  if (within(home, path)) {
    return { reason: "refused: the file is under the emr home (emr's own files never become records)" };
  }
  if (!c.allowOutside && !within(real(c.baseDir), path)) {
    return { reason: "refused: the file is outside the manifest's directory (pass --allow-outside to allow it)" };
  }
  return { path };
}
