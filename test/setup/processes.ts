/**
 * Processes of ours that outlived their test: any process whose command line names a path
 * under `dir` (a devnet's anvil `--state <home>/devnet/state.json`, an IPFS daemon's repo).
 * Linux /proc only; elsewhere nothing is found.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { waitFor } from '../helpers/wait.js';

export interface Found {
  pid: number;
  cmd: string;
}

export function processesUnder(dir: string): Found[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const out: Found[] = [];
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(dir)) out.push({ pid, cmd });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** SIGKILLs every process under `dir` and waits until they are gone; returns what it found. */
export async function killProcessesUnder(dir: string): Promise<Found[]> {
  const found = processesUnder(dir);
  for (const f of found) {
    try {
      process.kill(f.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (found.length) {
    await waitFor(() => processesUnder(dir).length === 0, { timeoutMs: 10_000, what: `processes under ${dir} to exit` }).catch(
      () => undefined,
    );
  }
  return found;
}
