// System failures during `emr batch add` (docs/MANIFEST.md § 5): the chain going down stops
// the job with exit 6 and --resume completes after `devnet up`; an unreachable store is
// exit 6 with nothing registered; a file vanishing mid-run fails that row only.

import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordsOf } from '../batch/check.js';
import { BIN } from '../helpers/cli.js';
import { type BatchWorld, batchWorld, csv, type Patient } from '../helpers/world.js';

let w: BatchWorld;
let p: Patient[];

beforeAll(async () => {
  w = await batchWorld();
  p = await w.patients(2);
}, 120_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

function manifest(name: string, n: number, patient: string): string {
  const dir = join(w.data, name);
  const files = w.files(dir, n, 64, name);
  const m = join(dir, 'm.csv');
  writeFileSync(m, csv(files.map((f, i) => ({ file: f, patient, type: 'lab', title: `${name} ${i}` }))));
  return m;
}

/** Runs a batch as a child and calls `on` with each progress event (NDJSON on stderr). */
function runWatching(args: string[], on: (e: any) => void): Promise<{ code: number; json: any }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [BIN, '--home', w.home, '--profile', 'dr', '--password-file', w.pw, '--json', ...args, '--progress', 'json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let buf = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          on(JSON.parse(line));
        } catch {
          // not an event
        }
      }
    });
    child.on('close', (code) => resolve({ code: code ?? -1, json: out ? JSON.parse(out) : undefined }));
  });
}

describe('emr batch add: failures mid-run', () => {
  it('chain down mid-run: exit 6, then --resume after devnet up completes with every row once', async () => {
    const m = manifest('chaindown', 60, p[0]!.address);
    let downed: Promise<unknown> | undefined;
    const r = await runWatching(['batch', 'add', m, '--batch-size', '2', '--concurrency', '1'], (e) => {
      if (e.event === 'tx' && !downed) downed = w.run(['devnet', 'down']);
    });
    await downed;
    expect(r.code).toBe(6);
    expect(r.json.error.code).toBe('UNAVAILABLE');
    expect(r.json.data.counts.added).toBeLessThan(60);
    expect((await w.run(['--json', 'devnet', 'up'])).code).toBe(0);
    const again = await w.run(['--json', 'batch', 'add', m, '--resume']);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.json!.data.counts.added + again.json!.data.counts.alreadyDone).toBe(60);
    expect(await recordsOf(w, [p[0]!.address])).toHaveLength(60);
  }, 90_000);

  it('IPFS store unreachable: exit 6 and nothing registered', async () => {
    const m = manifest('ipfsdown', 5, p[1]!.address);
    const r = await w.run(['--json', '--ipfs-api', 'http://127.0.0.1:9', 'batch', 'add', m]);
    expect(r.code, r.stderr).toBe(6);
    expect(r.json!.error!.code).toBe('UNAVAILABLE');
    expect(r.json!.data.counts.added).toBe(0);
    expect(await recordsOf(w, [p[1]!.address])).toHaveLength(0);
  }, 60_000);

  it('a file that disappears mid-run fails that row (exit 7); the others are added; --resume adds it once back', async () => {
    const m = manifest('vanish', 40, p[1]!.address);
    const last = join(w.data, 'vanish', 'vanish-39.txt');
    let moved = false;
    const r = await runWatching(['batch', 'add', m, '--concurrency', '1', '--batch-size', '50'], (e) => {
      if (e.event === 'stored' && !moved) {
        moved = true;
        renameSync(last, last + '.away');
      }
    });
    // A file gone is NOT_FOUND (exit 7), as for every command (docs/CLI.md § Exit codes).
    expect(r.code).toBe(7);
    expect(r.json.data.counts).toMatchObject({ added: 39, failed: 1 });
    expect(r.json.data.rows.at(-1)).toMatchObject({ line: 41, status: 'failed' });
    renameSync(last + '.away', last);
    const again = await w.run(['--json', 'batch', 'add', m, '--resume']);
    expect(again.code, again.stdout).toBe(0);
    expect(again.json!.data.counts).toMatchObject({ added: 1, alreadyDone: 39 });
    expect(await recordsOf(w, [p[1]!.address])).toHaveLength(40);
  }, 60_000);
});
