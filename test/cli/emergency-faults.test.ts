// Emergency release under refusal and faults (issue 8 points 2 and 18; docs/SHARING.md
// § 4.2): the contract's refusal is asked before the key-delivery object is stored, so a
// refused release leaves no new block in the store; a release whose transaction is lost on
// its way or whose answer is lost exits 6, and the same command run again finishes it.
// The chain fault is a real JSON-RPC relay in front of the devnet that cuts the connection
// at eth_sendRawTransaction (as in chain-faults.test.ts).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';
import { emergencyWorld } from '../helpers/emergency-world.js';

const c = clinic();
const { as, ok } = c;
let allergy = '';
let dev: { rpcUrl: string; contract: string };
type Mode = 'pass' | 'drop-send' | 'lose-answer';
let mode: Mode = 'pass';
let relay: Server | undefined;
let relayUrl = '';

/** Files under the embedded store's block directory (one file per block). */
function blocks(): number {
  const dir = join(c.home, 'ipfs', 'blocks');
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).length;
}

/** EmergencyKeysReleased events on chain so far. */
async function releases(): Promise<number> {
  const { id } = await import('ethers');
  const logs = (await c.rpc('eth_getLogs', [
    { address: dev.contract, topics: [id('EmergencyKeysReleased(address,address,address,bytes32)')], fromBlock: '0x0', toBlock: 'latest' },
  ])) as unknown[];
  return logs.length;
}

beforeAll(async () => {
  // The shared clinic as an emergency world (test/helpers/emergency-world.ts): admin is the
  // consortium, house the ER doctor.
  dev = await emergencyWorld(c);
  allergy = (
    await ok([...as('alice'), 'record', 'add', c.file('allergy.txt', 'Penicillin: anaphylaxis'), '--patient', 'alice', '--type', 'allergy'])
  ).records[0].id;
  await ok([...as('house'), 'emergency', 'open', 'alice', '--reason', 'unconscious in the ER']);
  relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const sends = body.includes('"eth_sendRawTransaction"');
      if (sends && mode === 'drop-send') return void req.socket.destroy();
      const answer = await fetch(dev.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await answer.text();
      if (sends && mode === 'lose-answer') return void req.socket.destroy();
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => relay!.listen(0, '127.0.0.1', r));
  const a = relay.address();
  relayUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}, 180_000);

afterAll(async () => {
  relay?.close();
  await c.devnetDown();
});

describe('emergency release: refusal first, then store, then send (SHARING.md § 4.2)', () => {
  it('a release the contract refuses (provider suspended) MUST store nothing: exit 3, no new block, no release on chain', async () => {
    await ok([...as('admin'), 'admin', 'suspend', 'house']);
    const before = blocks();
    const r = await emr([...as('admin'), '--json', 'admin', 'emergency-release', 'alice', 'house']);
    expect(r.code, r.stderr + r.stdout).toBe(3);
    expect(r.json?.error?.message).toMatch(/suspended/);
    expect(blocks()).toBe(before);
    expect(await releases()).toBe(0);
    await ok([...as('admin'), 'admin', 'verify', 'house']);
  }, 60_000);

  for (const m of ['drop-send', 'lose-answer'] as const) {
    it(`the chain dies mid-release (${m}): exit 6; run again → released, and the provider reads the record`, async () => {
      const sent = await releases();
      mode = m;
      const r = await emr([
        ...as('admin'),
        '--rpc-url',
        relayUrl,
        '--contract',
        dev.contract,
        '--json',
        'admin',
        'emergency-release',
        'alice',
        'house',
      ]);
      mode = 'pass';
      expect(r.code, r.stderr + r.stdout).toBe(6);
      expect(r.json?.error?.code).toBe('UNAVAILABLE');
      // Consistent: the lost transaction is either not mined or mined once, never half.
      expect(await releases()).toBe(sent + (m === 'lose-answer' ? 1 : 0));
      const again = await ok([...as('admin'), 'admin', 'emergency-release', 'alice', 'house']);
      expect(again.released).toEqual([allergy]);
      const out = join(c.home, `er-${m}.txt`);
      await ok([...as('house'), 'fetch', allergy, '-o', out, '--no-receipt']);
      expect(readFileSync(out, 'utf8')).toBe('Penicillin: anaphylaxis');
    }, 90_000);
  }
});
