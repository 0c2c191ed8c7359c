/**
 * vitest setupFiles (docs/TESTING.md § 5): each test file gets its own temp dir inside the
 * run's (test/setup/temp.ts) and TMPDIR points there, for the file and for every process it
 * starts (os.tmpdir(), mkdtemp, `emr`'s own temp files). When the file ends, passed, failed
 * or timed out, what it left running there is killed and the directory removed: a test
 * that forgets a home, a daemon or a half-written file leaves nothing behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import { killProcessesUnder } from './processes.js';

const dir = mkdtempSync(join(inject('suiteTmp'), 'file-'));
process.env.TMPDIR = dir;

afterAll(async () => {
  const running = await killProcessesUnder(dir);
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  if (running.length) {
    // A daemon outliving its file is a leak of the file's own making: say which.
    console.warn(`killed what the file left running:\n${running.map((p) => `  pid ${p.pid} ${p.cmd.slice(0, 200)}`).join('\n')}`);
  }
});
