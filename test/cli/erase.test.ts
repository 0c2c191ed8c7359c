// Issue 24 § 2 (CONTRACT.md § Erasure; docs/CLI.md § record erase): `emr record erase` through
// the built binary on the devnet, with a record replicated on two real test daemons
// (docs/STORAGE.md § Replicas) and the home's embedded store. The patient erases; others
// cannot; fetch is then exit 7 with the tombstone; the copies out of reach are reported; a
// node down halfway fails the run after the tombstone and a re-run finishes it.
import { create } from 'kubo-rpc-client';
import { equals } from 'multiformats/bytes';
import { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinic, emr } from '../helpers/cli.js';
import { startDaemon, type TestDaemon } from '../ipfs/daemon.js';

const c = clinic();
const { as, ok, file } = c;
let d1: TestDaemon | undefined;
let d2: TestDaemon | undefined;
const addr: Record<string, string> = {};
const ipfs = (...ds: Array<TestDaemon | undefined>) => ds.flatMap((d) => ['--ipfs-api', d!.apiUrl]);

async function pins(d: TestDaemon): Promise<string[]> {
  const out: string[] = [];
  for await (const p of create({ url: d.apiUrl }).pin.ls({ type: 'recursive' })) out.push(p.cid.toV1().toString());
  return out;
}

/**
 * Whether the node still has the root block: its list of local blocks (refs/local), compared
 * by multihash. Not `block/stat`: the test daemon (js-ipfs) ignores `offline` and looks for a
 * missing block on the network until the timeout (2 s a miss; a shorter one could call a
 * slow answer a miss, and a miss is what these tests expect).
 */
async function holds(d: TestDaemon, cid: string): Promise<boolean> {
  const want = CID.parse(cid).multihash.bytes;
  for await (const r of create({ url: d.apiUrl }).refs.local()) {
    if (r.err) throw new Error(String(r.err));
    if (equals(CID.parse(r.ref).multihash.bytes, want)) return true;
  }
  return false;
}

beforeAll(async () => {
  await c.fromWorld();
  [d1, d2] = await Promise.all([startDaemon(), startDaemon()]);
  // Grey's grant again, its key delivery (the type key, CONTRACT.md § Privacy) stored on the two nodes.
  await ok([...as('alice'), ...ipfs(d1, d2), 'grant', 'grey', '--types', 'lab,note', '--write', '--expires', '1y']);
  for (const p of ['alice', 'grey', 'house']) addr[p] = (await ok(['--home', c.home, 'whois', p])).address;
}, 300_000);

afterAll(async () => {
  await c.devnetDown();
  await d1?.stop();
  await d2?.stop();
}, 120_000);

const addLab = async (name: string, text: string) =>
  (await ok([...as('grey'), ...ipfs(d1, d2), 'record', 'add', file(name, text), '--patient', 'alice', '--type', 'lab'])).records[0];

describe('emr record erase (CONTRACT.md § Erasure)', () => {
  it('MUST: only the patient erases (author and another patient: exit 3, nothing sent); the bytes leave both replicas and the home store; fetch is exit 7 with the tombstone; the unreachable copies are named', async () => {
    const rec = await addLab('hb.txt', 'Hb 9.1 — suspected thalassaemia');
    expect(rec.pinnedOn).toEqual([d1!.apiUrl, d2!.apiUrl]);
    // Alice lists with details (her cache now holds its metadata), grey reads it (a receipt),
    // house gets it by a record grant (a key delivery of this record alone).
    const listed = await ok([...as('alice'), ...ipfs(d1, d2), 'record', 'list', '--details']);
    expect(listed.records.find((r: any) => r.id === rec.id).readable).toBe(true);
    const got = await ok([...as('grey'), ...ipfs(d1), 'fetch', rec.id, '-o', file('hb.out', ''), '--force']);
    expect(got.receiptTx).toMatch(/^0x/);
    await ok([...as('alice'), ...ipfs(d1, d2), 'grant', 'house', '--records', rec.id, '--expires', '30d']);

    for (const who of ['grey', 'bob']) {
      const r = await emr([...as(who), ...ipfs(d1, d2), '--json', 'record', 'erase', rec.id]);
      expect(r.code, r.stderr + r.stdout).toBe(3);
      expect(r.json!.error!.message).toMatch(/only record \d+'s patient may erase it/);
    }
    expect(await pins(d1!)).toContain(rec.cid);

    const reason = 'asked under GDPR Art. 17: wrong diagnosis';
    const e = await ok([...as('alice'), ...ipfs(d1, d2), 'record', 'erase', rec.id, '--reason', reason]);
    expect(e).toMatchObject({ id: rec.id, erasedBy: addr.alice, alreadyErased: false, reason, complete: true, type: 'lab' });
    expect(e.cids).toEqual([rec.cid]);
    expect(e.stores.map((s: any) => s.node)).toEqual([d1!.apiUrl, d2!.apiUrl, 'embedded']);
    for (const s of e.stores) expect(s.failed).toEqual([]);
    for (const d of [d1!, d2!]) {
      expect(await pins(d)).not.toContain(rec.cid);
      expect(await holds(d, rec.cid)).toBe(false);
    }
    // The record grant's delivery carried this record's key only: forgotten too.
    expect(e.deliveries).toEqual([expect.objectContaining({ provider: addr.house, kind: 'record-grant', forgotten: true })]);
    expect(await holds(d1!, e.deliveries[0].cid)).toBe(false);
    expect(e.caches).toEqual(['record-meta']);
    // The honest report: grey read it (receipt) and is its author with a type grant; house got a key.
    expect(e.outOfReach.fetchedBy.map((f: any) => f.address)).toEqual([addr.grey]);
    const keys = Object.fromEntries(e.outOfReach.keysTo.map((h: any) => [h.address, h.how]));
    expect(keys[addr.grey!]).toEqual(expect.arrayContaining(['author', 'type-grant']));
    expect(keys[addr.house!]).toEqual(['record-grant']);
    expect(e.outOfReach.otherSites.map((s: any) => s.name)).toContain('the sites of the parties above');
    // The reason never reaches the chain in clear (CONTRACT.md § Privacy).
    const tx = (await c.rpc('eth_getTransactionByHash', [e.txHash])) as { input: string };
    expect(tx.input).not.toContain(Buffer.from('GDPR').toString('hex'));
    expect(tx.input).not.toContain(Buffer.from('diagnosis').toString('hex'));

    const human = await emr([...as('alice'), ...ipfs(d1, d2), 'record', 'erase', rec.id]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Already erased record \d+ \(lab\)/);
    expect(human.stdout).toMatch(/fetched by \(receipts\): 0x[0-9a-fA-F]{40} \(grey\)/);

    for (const who of ['alice', 'grey', 'house']) {
      const f = await emr([...as(who), ...ipfs(d1, d2), '--json', 'fetch', rec.id, '-o', file(`x-${who}`, ''), '--force']);
      expect(f.code, `${who}: ${f.stderr}`).toBe(7);
      expect(f.json!.error!.message).toMatch(new RegExp(`record ${rec.id} was erased by its patient ${addr.alice} on 20`));
      expect((f.json!.error as any).details).toMatchObject({ erased: { by: addr.alice, txHash: e.txHash } });
    }
    const list = await ok([...as('alice'), 'record', 'list']);
    expect(list.records.find((r: any) => r.id === rec.id).erased).toMatchObject({ by: addr.alice, txHash: e.txHash });
    expect((await emr([...as('alice'), 'record', 'list'])).stdout).toMatch(new RegExp(`^${rec.id} .*ERASED by alice on 20`, 'm'));
    expect((await emr([...as('alice'), 'audit'])).stdout).toContain(
      `alice ERASED record #${rec.id} (crypto-shredding; reason sealed to the patient)`,
    );
    expect((await emr([...as('alice'), 'history'])).stdout).toMatch(new RegExp(`record #${rec.id} ERASED by alice`));
  }, 300_000);

  it('MUST: a second erase sends nothing and finishes what is left: a node down halfway is exit 6 after the tombstone, naming it; the re-run removes the rest', async () => {
    const rec = await addLab('k.txt', 'K 5.9');
    await d2!.kill();
    const r = await emr([...as('alice'), ...ipfs(d1, d2), '--json', 'record', 'erase', rec.id]);
    expect(r.code, r.stderr + r.stdout).toBe(6);
    const det = (r.json!.error as any).details;
    expect(det.complete).toBe(false);
    expect(det.stores.find((s: any) => s.node === d1!.apiUrl).removed).toContain(rec.cid);
    expect(det.stores.find((s: any) => s.node === d2!.apiUrl).removed).toEqual([]);
    expect(det.stores.find((s: any) => s.node === d2!.apiUrl).failed[0].cid).toBe(rec.cid);
    expect(r.json!.error!.hint).toMatch(/run `emr record erase \d+` again/);
    const f = await emr([...as('grey'), ...ipfs(d1), '--json', 'fetch', rec.id, '-o', file('k.out', ''), '--force']);
    expect(f.code).toBe(7);

    d2 = await startDaemon({ repo: d2!.repo });
    expect(await pins(d2)).toContain(rec.cid);
    const again = await ok([...as('alice'), ...ipfs(d1, d2), 'record', 'erase', rec.id]);
    expect(again).toMatchObject({ alreadyErased: true, gasUsed: null, complete: true, txHash: det.txHash });
    expect(await pins(d2)).not.toContain(rec.cid);
    expect(await holds(d2, rec.cid)).toBe(false);
  }, 300_000);
});
