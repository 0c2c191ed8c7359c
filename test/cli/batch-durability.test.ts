// Durability of `emr batch add` against a power loss (docs/MANIFEST.md § 6.1, docs/STORAGE.md
// § Durability): the stored bytes of a chunk's rows are made durable (one syncfs of the store)
// before its `tx` line is written and the transaction broadcast, and a resume registers a
// journaled CID only when its blocks are whole.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base32upper } from 'multiformats/bases/base32';
import { CID } from 'multiformats/cid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptAll, recordsOf, sha256Of } from '../batch/check.js';
import { failpoints } from '../helpers/failpoints.js';
import { syncsCompleted } from '../helpers/strace.js';
import { straceEmr } from '../helpers/strace-run.js';
import { type BatchWorld, batchWorld, csv, type Patient } from '../helpers/world.js';

let w: BatchWorld;

beforeAll(async () => {
  w = await batchWorld();
}, 120_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
  if (w) rmSync(w.data, { recursive: true, force: true });
});

async function job(name: string, n: number) {
  const patients: Patient[] = await w.patients(2);
  const dir = join(w.data, name);
  const files = w.files(dir, n, 100, name);
  const rows = files.map((f, i) => ({ file: f, patient: patients[i % 2]!.address, type: i % 3 ? 'lab' : 'note', title: `${name} ${i}` }));
  const manifest = join(dir, 'm.csv');
  writeFileSync(manifest, csv(rows));
  return { manifest, patients, rows, dir, journal: join(dir, 'job.journal') };
}

/** Where blockstore-fs's NextToLast sharding keeps a block (what src/ipfs/embedded.ts writes). */
function blockPath(cid: string): string {
  const name = base32upper.encoder.encode(CID.parse(cid).multihash.bytes);
  return join(w.home, 'ipfs', 'blocks', name.slice(-2), `${name}.data`);
}

const journalEvents = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { ev: string; key?: string; cid?: string; keys?: string[] });

const hasStrace = spawnSync('strace', ['-V']).status === 0;

describe('emr batch add: durability of the stored bytes', () => {
  it('MUST (MANIFEST.md § 6.1): a resume registers a journaled CID only when its blocks are whole; a row whose block a power loss emptied is encrypted again', async () => {
    const j = await job('damaged', 8);
    // Killed right after the 5th `stored` line: 4-row batches, so that row is in no `tx`.
    const killed = await w.run(['--json', 'batch', 'add', j.manifest, '--journal', j.journal, '--batch-size', '4', '--concurrency', '1'], {
      env: failpoints('batch.journal.stored:5'),
    });
    expect(killed.code, killed.stderr).toBe(137);
    const evs = journalEvents(j.journal);
    const inTx = new Set(evs.filter((e) => e.ev === 'tx').flatMap((e) => e.keys ?? []));
    const loose = evs.filter((e) => e.ev === 'stored' && !inTx.has(e.key!));
    expect(loose.length).toBeGreaterThan(0);
    // What a power loss before the store's sync leaves: the journal line reached the disk,
    // the block file's data did not (an empty file under its name).
    const damaged = loose.at(-1)!.cid!;
    truncateSync(blockPath(damaged), 0);

    const r = await w.run(['--json', 'batch', 'add', j.manifest, '--journal', j.journal, '--resume', '--batch-size', '4']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.json!.data.counts.added + r.json!.data.counts.alreadyDone).toBe(8);
    const onChain = await recordsOf(
      w,
      j.patients.map((p) => p.address),
    );
    expect(onChain.map((x) => x.cid)).not.toContain(damaged);
    expect(onChain).toHaveLength(8);
    const idOf = new Map(j.patients.map((p) => [p.address, p.identity]));
    const dec = await decryptAll(
      w.home,
      onChain.map((x) => ({ cid: x.cid, identity: idOf.get(x.patient)! })),
    );
    expect([...dec.values()].map((d) => d.sha256).sort()).toEqual(j.rows.map((row) => sha256Of(join(j.dir, row.file))).sort());
  }, 90_000);

  /** `batch add` of a new job of `rows` rows under strace (the given syscalls): the job and the trace's lines. */
  async function tracedBatch(name: string, rows: number, batchSize: number, syscalls: string) {
    const j = await job(name, rows);
    const trace = join(j.dir, `strace-${name}.txt`);
    const args = ['--home', w.home, '--profile', 'dr', '--password-file', w.pw, '--json', 'batch', 'add', j.manifest];
    const { code } = await straceEmr(trace, [...args, '--journal', j.journal, '--batch-size', String(batchSize)], {
      syscalls,
      stringBytes: 16,
    });
    expect(code).toBe(0);
    return { j, lines: readFileSync(trace, 'utf8').split('\n') };
  }

  it.skipIf(!hasStrace)(
    'MUST (STORAGE.md § Durability): every block and pin file of a chunk is synced to disk before the chunk’s `tx` line is written (syscall order under strace)',
    async () => {
      const { j, lines } = await tracedBatch('synced', 6, 3, 'openat,rename,renameat,renameat2,syncfs,sync,fsync,fdatasync,write');
      // The rows of each transaction, in order, and the files holding their bytes (each a
      // single block: the block file and the pin file, both named by the CID).
      const evs = journalEvents(j.journal);
      const cidOf = new Map(evs.filter((e) => e.ev === 'stored').map((e) => [e.key!, e.cid!]));
      const chunks = evs.filter((e) => e.ev === 'tx').map((e) => (e.keys ?? []).map((k) => cidOf.get(k)!));
      expect(chunks).toHaveLength(2);
      const pins = join(w.home, 'ipfs', 'pins');
      const madeAt = (path: string) => lines.findLastIndex((l) => / (openat|rename|renameat2?)\(/.test(l) && l.includes(`"${path}"`));
      const synced = syncsCompleted(lines, join(w.home, 'ipfs'));
      const txAt = lines.flatMap((l, i) => (/ write\(\d+<[^>]*job\.journal>, "\{\\"ev\\":\\"tx\\"/.test(l) ? [i] : []));
      expect(txAt).toHaveLength(2);
      chunks.forEach((cids, n) => {
        const made = cids.flatMap((cid) => [madeAt(blockPath(cid)), madeAt(join(pins, cid))]);
        expect(Math.min(...made), `the files of chunk ${n + 1} are in the trace`).toBeGreaterThan(-1);
        const last = Math.max(...made);
        expect(last).toBeLessThan(txAt[n]!);
        const sync = lines.findIndex((_, i) => i > last && i < txAt[n]! && synced[i]);
        expect(
          sync,
          `chunk ${n + 1}: no sync between its last store write (line ${last + 1}) and its tx line (line ${txAt[n]! + 1})`,
        ).toBeGreaterThan(-1);
      });
    },
    90_000,
  );

  it.skipIf(!hasStrace)(
    'the store’s sync forks no emr process per chunk (STORAGE.md § Durability: one sync helper per store; --batch-size 1 forked per record)',
    async () => {
      const traced = await tracedBatch('forks', 5, 1, 'clone,clone3,fork,vfork,syncfs');
      const j = traced.j;
      const lines = traced.lines.filter(Boolean);
      const emrPid = /^(\d+) /.exec(lines[0]!)![1];
      // New processes (not threads) started by the emr process itself.
      const forks = lines.filter((l) => l.startsWith(`${emrPid} `) && /(clone3?|v?fork)\(/.test(l) && !l.includes('CLONE_THREAD'));
      const chunks = journalEvents(j.journal).filter((e) => e.ev === 'tx').length;
      expect(chunks).toBe(5);
      expect(
        lines.some((l) => / syncfs\(/.test(l)),
        'the store was synced',
      ).toBe(true);
      expect(forks.length, forks.join('\n')).toBeLessThan(chunks);
    },
    90_000,
  );
});
