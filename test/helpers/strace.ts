/**
 * Reading an `strace -f -y` trace (the durability tests: STORAGE.md § Durability). With -f,
 * a syscall another process or thread interrupts is split in two lines:
 *   `123 syncfs(3</store> <unfinished ...>` … `123 <... syncfs resumed>) = 0`.
 * Under load that split is common (CI failed on it), so a completed sync is either a whole
 * line or the resumed half of a call whose first half (same pid) was a sync.
 */

/** For each line, whether a sync of the store completed there (syncfs, sync, or fsync/fdatasync of a file under `storeDir`). */
export function syncsCompleted(lines: readonly string[], storeDir: string): boolean[] {
  const isSync = (l: string) => / (syncfs|sync)\(/.test(l) || (/ f(data)?sync\(\d+</.test(l) && l.includes(`<${storeDir}/`));
  const pidOf = (l: string) => /^(\d+) /.exec(l)?.[1];
  const started = new Map<string, string>(); // pid → its unfinished call's first half
  return lines.map((l) => {
    const pid = pidOf(l) ?? '';
    if (l.includes('<unfinished ...>')) {
      started.set(pid, l);
      return false;
    }
    const resumed = /<\.\.\. (\w+) resumed>.*\) += 0/.exec(l);
    if (resumed) {
      const first = started.get(pid);
      started.delete(pid);
      return !!first && isSync(first);
    }
    return isSync(l) && / = 0\s*$/.test(l);
  });
}
