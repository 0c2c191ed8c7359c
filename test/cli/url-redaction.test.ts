// Issue 20 § 12 (docs/CLI.md § Global options, "URLs emr prints"): a URL with
// credentials (`user:password@`, an API key in its path or query) given as --ipfs-api or
// --rpc-url MUST NOT appear whole in anything emr prints, human or --json. No chain and no
// node needed: every endpoint here is a closed loopback port.

import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { emr, tempHome } from '../helpers/cli.js';

const t = tempHome();
afterAll(() => rmSync(t.home, { recursive: true, force: true }));

const SECRET = 's3cr3t-token';
const api = `http://kubo-user:${SECRET}@127.0.0.1:9/api-key/${SECRET}?key=${SECRET}`;
const rpc = `http://rpc-user:${SECRET}@127.0.0.1:9/v3/${SECRET}`;

describe('one redaction for every URL emr prints (issue 20 § 12)', () => {
  it('`emr doctor` MUST NOT print the --ipfs-api URL’s credentials (human and --json)', async () => {
    for (const json of [[], ['--json']]) {
      const r = await emr(
        ['--home', t.home, '--ipfs-api', api, '--rpc-url', rpc, '--contract', `0x${'11'.repeat(20)}`, ...json, 'doctor'],
        {
          timeoutMs: 60_000,
        },
      );
      expect(r.code, r.stderr).not.toBe(0); // nothing answers
      const all = r.stdout + r.stderr;
      expect(all).toContain('127.0.0.1:9'); // the endpoint is still named
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain('kubo-user');
    }
  }, 120_000);
});
