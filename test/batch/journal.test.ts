// Group commit in the batch journal (docs/MANIFEST.md § 6.1): every line reaches the file
// when append() returns (what a SIGKILLed run leaves is what resume reads), in order,
// whole, with or without an fsync in between; sync() and close() are safe to repeat.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, type JournalEvent, readJournal, replay } from '../../src/batch/journal.js';

const job: JournalEvent = {
  ev: 'job',
  v: 1,
  manifest: '/m.csv',
  manifestSha256: 'ab',
  author: '0x' + '11'.repeat(20),
  chainId: '31337',
  contract: '0x' + '22'.repeat(20),
  rows: 3,
};
const stored = (k: string): JournalEvent => ({
  ev: 'stored',
  key: k,
  line: 2,
  patient: '0x' + '33'.repeat(20),
  recordType: 1,
  cid: 'bafy' + k,
  cidCodec: 0x55,
  digest: '0x' + '44'.repeat(32),
  sha256: '55'.repeat(32),
  size: 10,
});

describe('Journal group commit', () => {
  it('each line is in the file as soon as append returns, before any sync', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'emr-journal-')), 'j.journal');
    const j = Journal.open(path);
    j.append(job);
    const evs: JournalEvent[] = [
      { ev: 'store', key: 'a', line: 2 },
      stored('a'),
      { ev: 'store', key: 'b', line: 3 },
      { ev: 'failed', key: 'b', line: 3, code: 'USAGE', reason: 'gone' },
    ];
    evs.forEach((ev, i) => {
      j.append(ev);
      // Another reader (a resume after SIGKILL) sees exactly the lines so far, whole.
      expect(readJournal(path).events).toEqual([job, ...evs.slice(0, i + 1)]);
    });
    j.append({ ev: 'tx', txHash: '0x' + '66'.repeat(32), nonce: 7, keys: ['a'], raw: '0x01' });
    const s = replay(readJournal(path).events);
    expect(s.stored.get('a')?.cid).toBe('bafya');
    expect(s.failed.get('b')?.reason).toBe('gone');
    expect(s.inflight.map((t) => t.nonce)).toEqual([7]);
    j.sync();
    j.sync();
    j.close();
    j.close();
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(6);
  });

  it('a reopened journal appends after what it holds, one event a line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'emr-journal-')), 'j.journal');
    const a = Journal.open(path);
    a.append(job);
    a.append(stored('x'));
    a.close();
    const b = Journal.open(path);
    expect(b.events).toEqual([job, stored('x')]);
    b.append(stored('y'));
    b.close();
    expect(readJournal(path).events.map((e) => ('key' in e ? e.key : e.ev))).toEqual(['job', 'x', 'y']);
  });

  it('lines with multi-byte text are written whole', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'emr-journal-')), 'j.journal');
    const j = Journal.open(path);
    j.append(job);
    const ev: JournalEvent = { ev: 'failed', key: 'k', line: 9, code: 'USAGE', reason: 'fichier « dossier médical » ✓ '.repeat(200) };
    j.append(ev);
    j.close();
    expect(readJournal(path).events[1]).toEqual(ev);
  });
});
