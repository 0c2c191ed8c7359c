/**
 * Which files a manifest row may name (MANIFEST.md § 3.1). Threat: a manifest is data from
 * elsewhere (an export of another system, a colleague's script); a row naming
 * `../../.ssh/id_rsa` or the emr keystore would have that file encrypted to the patient and
 * published. Rule: a row's file, symlinks resolved, lies under the manifest's directory
 * unless `--allow-outside`; and never among emr's own files in the home (the home's top
 * level and the directories emr manages), whatever the flags.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';

/** Entries of the emr home that hold emr's own state (keys, journals, chain, store). */
const MANAGED = new Set(['keystore', 'profiles', 'config.json', 'batch', 'devnet', 'tmp', 'pending', 'ipfs']);

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
    const rel = relative(home, path);
    const first = rel.split(sep)[0]!;
    if (rel === '' || !rel.includes(sep) || MANAGED.has(first)) {
      return { reason: `refused: the file is one of emr's own files in the emr home (${first || '.'})` };
    }
  }
  if (!c.allowOutside && !within(real(c.baseDir), path)) {
    return { reason: "refused: the file is outside the manifest's directory (pass --allow-outside to allow it)" };
  }
  return { path };
}
