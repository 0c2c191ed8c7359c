// The chain dying in the middle of a write (issue 8 point 18): the transaction is lost on
// its way (never reaches the node) or its answer is lost (mined, but the client never
// hears). Both through a real JSON-RPC relay in front of the real devnet that cuts the
// connection at eth_sendRawTransaction. Afterwards: exit 6, the state consistent (nothing
// registered without stored bytes, nothing twice), and the same command run again finishes.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, type EmrRun, emr } from '../helpers/cli.js';

type Mode = 'pass' | 'drop-send' | 'lose-answer';
let mode: Mode = 'pass';
let upstream = '';
let relay: Server;
let relayUrl = '';
let contract = '';

// The shared clinic (test/helpers/shared-world.ts): alice registered, house a verified
// provider she has granted nothing.
const c = clinic();
type Who = 'admin' | 'alice' | 'house';
const base = (who: Who) => c.as(who);
const direct = (who: Who, args: string[]) => emr([...base(who), '--json', ...args]);
const viaRelay = (who: Who, args: string[]) => emr([...base(who), '--rpc-url', relayUrl, '--contract', contract, '--json', ...args]);
const ok = (r: EmrRun) => {
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return r.json!.data;
};

beforeAll(async () => {
  const up = await c.fromWorld();
  upstream = up.rpcUrl;
  contract = up.contract;
  relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const sends = body.includes('"eth_sendRawTransaction"');
      if (sends && mode === 'drop-send') return void req.socket.destroy();
      const answer = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await answer.text();
      if (sends && mode === 'lose-answer') return void req.socket.destroy();
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const a = relay.address();
  relayUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}, 180_000);

afterAll(async () => {
  relay?.close();
  await c.devnetDown();
});

async function recordsOfAlice(): Promise<Array<{ id: string; type: string }>> {
  return ok(await direct('alice', ['record', 'list'])).records;
}

describe('the chain dies in the middle of a write', () => {
  it('grant: lost answer → exit 6; run again → the grant holds', async () => {
    mode = 'lose-answer';
    const r = await viaRelay('alice', ['grant', 'house', '--types', 'lab,note', '--write']);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    mode = 'pass';
    ok(await direct('alice', ['grant', 'house', '--types', 'lab,note', '--write']));
  }, 60_000);

  for (const m of ['drop-send', 'lose-answer'] as const) {
    it(`record add (${m}): exit 6; run again → exactly one record, stored and readable`, async () => {
      const file = join(c.home, `${m}.txt`);
      await import('node:fs').then((fs) => fs.writeFileSync(file, `result for ${m}\n`));
      const before = (await recordsOfAlice()).length;
      mode = m;
      const r = await viaRelay('house', ['record', 'add', file, '--patient', 'alice', '--type', 'lab']);
      expect(r.code, r.stderr + r.stdout).toBe(6);
      mode = 'pass';
      const again = ok(await direct('house', ['record', 'add', file, '--patient', 'alice', '--type', 'lab']));
      const after = await recordsOfAlice();
      expect(after.length).toBe(before + 1);
      const id = String(again.id ?? again.records?.[0]?.id);
      const out = join(c.home, `${m}.out`);
      ok(await direct('alice', ['fetch', id, '-o', out]));
    }, 90_000);
  }

  it('access approve: lost answer → exit 6; run again → approved once (not "already decided")', async () => {
    const req = ok(await direct('house', ['access', 'request', 'alice', '--types', 'vitals', '--reason', 'checkup'])).requestId;
    mode = 'lose-answer';
    const r = await viaRelay('alice', ['access', 'approve', req]);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    mode = 'pass';
    const again = await direct('alice', ['access', 'approve', req]);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.json!.data).toMatchObject({ requestId: req, alreadyApproved: true, txHash: null });
    const list = ok(await direct('alice', ['access', 'list', '--all'])).requests;
    expect(list.find((x: { requestId: string }) => x.requestId === req).state).toBe('approved');
  }, 60_000);
});
