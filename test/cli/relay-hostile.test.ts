// Red team (issue 8's attacker): a relayer is handed a signed-action file by someone else,
// so the file is hostile input. Malformed files MUST be usage errors (exit 2) before any
// transaction, never a crash (exit 1). Through the built binary on a devnet
// (docs/CONTRACT.md § Signed actions, docs/CLI.md § emr relay).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorld, type World } from '../batch/fixture.js';

let w: World;

beforeAll(async () => {
  w = await makeWorld();
}, 180_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

describe('emr relay of malformed signed actions', () => {
  const cases: Array<[string, unknown]> = [
    ['no chainId', { kind: 'revoke', signature: '0x00', message: {} }],
    ['a chainId that is not a number', { kind: 'revoke', chainId: 'x', contract: '0x' + '11'.repeat(20), signature: '0x00', message: {} }],
    ['a contract that is not a string', { kind: 'revoke', chainId: '31337', contract: 7, signature: '0x00', message: {} }],
    ['a null message', { kind: 'revoke', chainId: '31337', contract: '0x' + '11'.repeat(20), signature: '0x00', message: null }],
  ];
  for (const [what, doc] of cases) {
    it(`a signed action with ${what} MUST be refused with exit 2 (USAGE), not crash`, async () => {
      const file = join(w.home, `bad-${what.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, JSON.stringify(doc));
      const r = await w.run(['--json', 'relay', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.json!.error).toMatchObject({ code: 'USAGE' });
    }, 60_000);
  }

  it('a signed-action file larger than 64 KiB MUST be refused (exit 2) without being parsed', async () => {
    const file = join(w.home, 'huge-action.json');
    writeFileSync(file, JSON.stringify({ kind: 'revoke', pad: 'x'.repeat(1 << 20) }));
    const r = await w.run(['--json', 'relay', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.json!.error!.message).toMatch(/large|64 KiB/);
  }, 60_000);
});
