/**
 * A test file that needs a test-only tool from npm waits here until its install (started by
 * test/setup/tools.ts when the run began) has ended, and fails with the tool's name when it
 * did not succeed (docs/TESTING.md § 6). Returns at once once installed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, inject } from 'vitest';
import type { TestTool } from '../setup/tools.js';
import { waitFor } from './wait.js';

/** A fresh clone's three installs took up to ~50 s side by side, more under the run's load. */
const INSTALL_BOUND_MS = 600_000;

export async function testTool(tool: TestTool): Promise<void> {
  const file = join(inject('testTools'), `${tool}.code`);
  const code = await waitFor(
    () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined; // still installing
      }
    },
    { timeoutMs: INSTALL_BOUND_MS, intervalMs: 250, what: `the install of test/${tool} (scripts/ensure-${tool}.mjs)` },
  );
  if (code.trim() !== '0')
    throw new Error(
      `test/${tool} could not be installed (scripts/ensure-${tool}.mjs exited ${code.trim()}): see its lines at the top of the run`,
    );
}

/**
 * Called at the top of a file that needs `tool`, before its own hooks: the file's first
 * hook waits for the install, with the install's own bound rather than the suite's hook
 * timeout (a slow registry must not fail the file that happens to start first).
 */
export function needsTool(tool: TestTool): void {
  beforeAll(() => testTool(tool), INSTALL_BOUND_MS + 5_000);
}
