// Red team (issue 8's attacker, wave 3's second-device surface): `emr config import` reads a
// file that came from elsewhere. It MUST read at most its 64 KiB bound, whatever the file
// is (docs/STORAGE.md § A second device). Through the built binary; no chain needed.

import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';

describe('config import of hostile files', () => {
  it('a file that never ends (a FIFO fed without end) MUST be refused (exit 2) after 64 KiB, not read forever', async () => {
    const t = tempHome();
    const fifo = join(t.home, 'endless.json');
    execFileSync('mkfifo', [fifo]);
    const feeder = createWriteStream(fifo);
    feeder.on('error', () => {}); // EPIPE once emr stops reading
    // Valid-looking JSON that never closes: a reader that waits for the end waits forever.
    feeder.write(`{"v":1,"kind":"emr-device-config","pad":"${'x'.repeat(256 * 1024)}`);
    try {
      // Before: readFileSync waited for the end of the file (it never comes), then the size
      // was checked; the run only ended when this bound killed it.
      const r = await emr(['--home', t.home, '--json', 'config', 'import', fifo], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.json!.error!.message).toMatch(/device config/);
      const cfg = join(t.home, 'config.json');
      if (existsSync(cfg)) expect(readFileSync(cfg, 'utf8')).not.toContain('emr-device-config');
    } finally {
      feeder.destroy();
    }
  }, 60_000);
});
