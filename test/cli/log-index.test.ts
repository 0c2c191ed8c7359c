// The local log index (docs/CONTRACT.md § Log index), driven through the built binary off
// the embedded devnet (--rpc-url to a capping proxy in front of the file's own devnet, so
// the index is in use), counting the eth_getLogs the proxy is asked. No clock is asserted.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIndex } from '../../src/chain/log-index.js';
import { writeSealedFile } from '../../src/session/sealed-file.js';
import { clinic, emr } from '../helpers/cli.js';
import { type LogWindowProxy, logWindowProxy } from '../helpers/log-window-proxy.js';

const c = clinic();
const { as, ok } = c;
let devnet: { rpcUrl: string; contract: string };
let proxy: LogWindowProxy;
const CAP = 1000;

beforeAll(async () => {
  devnet = await c.fromWorld();
  proxy = await logWindowProxy(devnet.rpcUrl, CAP);
}, 180_000);

afterAll(async () => {
  await proxy?.close();
  await c.devnetDown();
});

const head = async () => Number(BigInt((await c.rpc('eth_blockNumber')) as string));
const offDevnet = (who: string) => [...as(who), '--rpc-url', proxy.url, '--contract', devnet.contract];
const addNote = (name: string) => ok([...as('grey'), 'record', 'add', c.file(name, `${name}\n`), '--patient', 'alice', '--type', 'note']);

/** `record list` of alice through the proxy: the records' ids and the getLogs ranges asked. */
async function aliceList(): Promise<{ ids: string[]; cids: string[]; ranges: LogWindowProxy['ranges'] }> {
  proxy.ranges.length = 0;
  const r = await emr([...offDevnet('alice'), '--json', 'record', 'list']);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  const records = r.json!.data.records as { id: string; cid: string }[];
  return { ids: records.map((x) => String(x.id)), cids: records.map((x) => x.cid), ranges: proxy.ranges.filter((x) => !x.refused) };
}

const indexFiles = () => readdirSync(join(c.home, 'cache')).filter((f) => f.startsWith('chain-index-'));

describe('the log index (CONTRACT.md § Log index)', () => {
  it('MUST ask a warm run only for the blocks after the indexed head; audit and grant list read the same index', async () => {
    await addNote('first.txt');
    const cold = await aliceList();
    // Cold: every window from the first block to the head.
    expect(Math.min(...cold.ranges.map((x) => x.from))).toBe(0);
    const indexedHead = Math.max(...cold.ranges.map((x) => x.to));
    expect(indexedHead).toBe(await head());

    await c.rpc('anvil_mine', ['0x5']);
    const added = await addNote('second.txt');
    const now = await head();
    const warm = await aliceList();
    expect(warm.ids).toEqual([...cold.ids, String(added.records[0].id)]);
    expect(warm.ranges).toEqual([{ from: indexedHead + 1, to: now, refused: false }]);

    // Only empty blocks since: one window after the saved head, and the file is not rewritten.
    const file = join(c.home, 'cache', indexFiles()[0]!);
    const saved = readFileSync(file);
    await c.rpc('anvil_mine', ['0x3']);
    const empty = await aliceList();
    expect(empty.ids).toEqual(warm.ids);
    expect(empty.ranges).toEqual([{ from: now + 1, to: now + 3, refused: false }]);
    expect(readFileSync(file).equals(saved)).toBe(true);

    // audit and grant list read the same index: they ask nothing before the indexed head.
    for (const cmd of [['audit'], ['grant', 'list']]) {
      proxy.ranges.length = 0;
      const r = await emr([...offDevnet('alice'), '--json', ...cmd]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      // At most that window (audit saves the block times it learnt, and with them the head).
      expect(proxy.ranges.length, cmd.join(' ')).toBeLessThanOrEqual(1);
      for (const x of proxy.ranges) expect(x, cmd.join(' ')).toEqual({ from: now + 1, to: now + 3, refused: false });
    }
  }, 180_000);

  it('MUST keep the index only in cache/, sealed to the profile, one file per profile, deployment and endpoint', async () => {
    const files = indexFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toContain(devnet.contract.toLowerCase());
    expect(files[0]).toContain(createHash('sha256').update(proxy.url).digest('hex').slice(0, 16));
    expect(files[0]).not.toContain(new URL(proxy.url).port);
    const bytes = readFileSync(join(c.home, 'cache', files[0]!));
    expect(bytes.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(bytes.includes(Buffer.from(devnet.contract.slice(2).toLowerCase()))).toBe(false);
  });

  it('MUST detect a reorg (the indexed head no longer canonical) and rebuild from the first block', async () => {
    const snap = await c.rpc('evm_snapshot');
    const gone = await addNote('orphaned.txt');
    const before = await aliceList();
    expect(before.cids).toContain(gone.records[0].cid);
    const indexedHead = await head();

    expect(await c.rpc('evm_revert', [snap])).toBe(true);
    // The other fork grows past the indexed head, with a record of its own.
    await c.rpc('anvil_mine', [`0x${(indexedHead - (await head()) + 2).toString(16)}`]);
    const kept = await addNote('canonical.txt');
    const after = await aliceList();
    // Ids are counted again on the other fork: the records are told apart by content.
    expect(after.cids).toContain(kept.records[0].cid);
    expect(after.cids).not.toContain(gone.records[0].cid);
    expect(Math.min(...after.ranges.map((x) => x.from))).toBe(0);
  }, 180_000);

  it('MUST NOT trust an index file the profile did not write: a damaged or forged file is rebuilt', async () => {
    const file = join(c.home, 'cache', indexFiles()[0]!);
    const truth = (await aliceList()).cids;
    expect(truth.length).toBeGreaterThan(0);

    // Damaged: one byte of the ciphertext flipped.
    const bytes = readFileSync(file);
    bytes[bytes.length - 5]! ^= 0xff;
    writeFileSync(file, bytes);
    const damaged = await aliceList();
    expect(damaged.cids).toEqual(truth);
    expect(Math.min(...damaged.ranges.map((x) => x.from))).toBe(0);

    // Forged: a well-formed index, sealed to alice's public recipient (anyone can), that
    // claims the head with no events at all. Without the profile's MAC it is not an index.
    const keys = await ok([...as('alice'), 'key', 'list']);
    const alice = (keys.profiles ?? keys.keys ?? keys).find((p: { name: string }) => p.name === 'alice');
    const h = await head();
    const block = (await c.rpc('eth_getBlockByNumber', [`0x${h.toString(16)}`, false])) as { hash: string };
    const chainId = Number(BigInt((await c.rpc('eth_chainId')) as string));
    const endpoint = createHash('sha256').update(proxy.url).digest('hex').slice(0, 16);
    const doc = encodeIndex(`${chainId}:${devnet.contract.toLowerCase()}:0:${endpoint}`, h, block.hash.toLowerCase(), [], []);
    await writeSealedFile(file, alice.recipient, Buffer.concat([Buffer.from(`${'0'.repeat(64)}\n`), doc]));
    const forged = await aliceList();
    expect(forged.cids).toEqual(truth);
    expect(Math.min(...forged.ranges.map((x) => x.from))).toBe(0);
  }, 180_000);
});
