/**
 * The batch journal (MANIFEST.md § 6): append-only NDJSON, one event a line, each line
 * written before the step it announces starts and after it ends, so a job killed at any
 * instant can be resumed from what the journal proves. A torn last line (the process died
 * mid-write) is dropped on open; a bad line anywhere else is corruption (IntegrityError).
 *
 * Group commit (MANIFEST.md § 6.1): a line is handed to the kernel (write(2)) at once,
 * which a killed process cannot undo; fsync, which only a power loss needs, runs where a
 * lost line could do harm: around the `tx` line (before a transaction is broadcast, and
 * after every line before it is durable) and when the job ends. One fsync per batch instead of two
 * per row (they were 13% of a 1,000-row job's time).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { IntegrityError, UsageError } from '../errors.js';
import { failpoint, failpointHit, failpointKill } from '../failpoint.js';

/** 2: every line carries `mac` (MANIFEST.md § 6.4). */
export const JOURNAL_VERSION = 2;

/**
 * MANIFEST.md § 6.4: the journal MAC key, HKDF-SHA256(ikm = the profile's private key,
 * salt = empty, info = "emr batch journal mac v1"), 32 bytes. Only the author's passphrase
 * opens it, so whoever can write the file but not unlock the profile cannot forge lines.
 */
export function journalKey(privateKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', privateKey, new Uint8Array(0), 'emr batch journal mac v1', 32));
}

const ZERO_MAC = '0'.repeat(64);

/** HMAC-SHA256(key, previous line's mac (hex) ‖ "\n" ‖ the line's JSON without `mac`): a chain, so lines cannot be edited, dropped or reordered. */
function lineMac(key: Uint8Array, prev: string, body: string): string {
  return createHmac('sha256', key).update(prev).update('\n').update(body).digest('hex');
}

/** First line: which job this journal belongs to. */
export interface JobEvent {
  ev: 'job';
  v: number;
  manifest: string;
  manifestSha256: string;
  author: string;
  chainId: string;
  contract: string;
  rows: number;
}
/** Before encrypting a row. */
export interface StoreEvent {
  ev: 'store';
  key: string;
  line: number;
}
/** After the ciphertext is stored and pinned: its CID is known. */
export interface StoredEvent {
  ev: 'stored';
  key: string;
  line: number;
  patient: string;
  recordType: number;
  cid: string;
  cidCodec: number;
  digest: string;
  sha256: string;
  size: number;
  pinnedOn?: string[];
}
/** A transaction signed (hash known) and about to be broadcast; `raw` lets a resume re-broadcast the very same bytes. */
export interface TxEvent {
  ev: 'tx';
  txHash: string;
  nonce: number;
  keys: string[];
  raw: string;
}
/** After the node accepted the broadcast. */
export interface SentEvent {
  ev: 'sent';
  txHash: string;
}
/** Mined with status 1: record ids per key (in `keys` order of the tx). */
export interface ConfirmedEvent {
  ev: 'confirmed';
  txHash: string;
  ids: Record<string, string>;
  gasUsed: string;
  blockNumber: number;
}
/** The tx will never confirm (reverted, or its nonce went to another tx): its rows go back to "stored". */
export interface AbandonedEvent {
  ev: 'abandoned';
  txHash: string;
  reason: string;
}
/**
 * A journaled confirmation the chain no longer holds (MANIFEST.md § 6.2 step 0): its block
 * is gone (a devnet restarted from an older dump, a reorg) or its receipt now says reverted.
 * Its rows are not confirmed any more; a transaction this journal signed is in flight again.
 */
export interface LostEvent {
  ev: 'lost';
  txHash: string;
}
/** A row that failed for a reason of its own (its file vanished, the contract refused it). */
export interface FailedEvent {
  ev: 'failed';
  key: string;
  line: number;
  code: string;
  reason: string;
}

export type JournalEvent =
  | JobEvent
  | StoreEvent
  | StoredEvent
  | TxEvent
  | SentEvent
  | ConfirmedEvent
  | AbandonedEvent
  | LostEvent
  | FailedEvent;

export interface JournalOptions {
  /** journalKey(profile private key): lines are authenticated when written and when read (MANIFEST.md § 6.4). */
  key?: Uint8Array | undefined;
}

export class Journal {
  private fd: number;
  /** Lines written since the last fsync. */
  private dirty = false;

  private constructor(
    readonly path: string,
    fd: number,
    readonly events: JournalEvent[],
    private readonly key: Uint8Array | undefined,
    private lastMac: string,
  ) {
    this.fd = fd;
  }

  /** Opens (creating when absent) and replays the journal; a torn tail is cut off. */
  static open(path: string, opts: JournalOptions = {}): Journal {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const { events, validBytes: keep, lastMac } = readJournal(path, opts.key);
    const fd = openSync(path, 'a+', 0o600);
    try {
      // Drop a torn tail so the next line starts on a line of its own.
      ftruncateSync(fd, keep);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      throw new UsageError(`cannot write the batch journal ${path}`, { hint: 'check the path and permissions', cause: e });
    }
    return new Journal(path, fd, events, opts.key, lastMac);
  }

  /**
   * Appends one event: written before returning (a killed process keeps it). A `job` or
   * `tx` line is fsynced before returning, after the lines before it were; the others
   * become power-loss durable at the next such line or at `sync()` / `close()`, and
   * losing them only repeats work (MANIFEST.md § 6.1).
   */
  append(ev: JournalEvent): void {
    let text = JSON.stringify(ev);
    if (this.key) {
      this.lastMac = lineMac(this.key, this.lastMac, text);
      text = JSON.stringify({ ...ev, mac: this.lastMac });
    }
    const line = Buffer.from(text + '\n', 'utf8');
    // MANIFEST.md § 6.3, TESTING.md § Failpoints: a torn n-th line, then death.
    if (failpointHit('batch.journal.torn')) {
      writeAll(this.fd, line.subarray(0, Math.max(1, line.length >> 1)));
      fsyncSync(this.fd);
      failpointKill();
    }
    // A `tx` line must never be durable without the `stored` lines of its rows: flush
    // them first (pages may reach the disk out of order until fsync returns).
    const commit = ev.ev === 'tx' || ev.ev === 'job';
    if (commit) this.sync();
    writeAll(this.fd, line);
    this.dirty = true;
    if (commit) this.sync();
    this.events.push(ev);
    failpoint(`batch.journal.${ev.ev}`); // MANIFEST.md § 6.3
  }

  /** Makes every appended line durable (one fsync; nothing to do when none is pending). */
  sync(): void {
    if (!this.dirty || this.fd < 0) return;
    fsyncSync(this.fd);
    this.dirty = false;
  }

  close(): void {
    if (this.fd >= 0) {
      this.sync();
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/** write(2) may write less than asked; a line goes out whole or the job stops. */
function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Reads a journal without changing it: complete lines only (bytes after the last newline
 * are a torn write and are not events). A bad complete line is corruption.
 */
export function readJournal(path: string, key?: Uint8Array): { events: JournalEvent[]; validBytes: number; lastMac: string } {
  const events: JournalEvent[] = [];
  let lastMac = ZERO_MAC;
  if (!existsSync(path)) return { events, validBytes: 0, lastMac };
  const buf = readFileSync(path);
  const end = buf.lastIndexOf(0x0a) + 1;
  const lines = buf.subarray(0, end).toString('utf8').split('\n');
  lines.pop();
  lines.forEach((l, i) => {
    let ev: JournalEvent & { mac?: unknown };
    try {
      ev = JSON.parse(l) as JournalEvent & { mac?: unknown };
    } catch (e) {
      throw new IntegrityError(`batch journal ${path} is corrupt at line ${i + 1}`, {
        hint: 'a journal is only ever appended to; move it aside (records already added stay on chain) and re-run',
        cause: e,
      });
    }
    if (key) {
      const { mac, ...body } = ev;
      const want = lineMac(key, lastMac, JSON.stringify(body));
      if (typeof mac !== 'string' || mac.length !== want.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(want))) {
        if (i === 0 && (ev as { v?: unknown }).v !== JOURNAL_VERSION) {
          throw new UsageError(`batch journal ${path} has version ${String((ev as { v?: unknown }).v)}`, {
            hint: `this emr writes version ${JOURNAL_VERSION}; finish that job with the emr that started it, or pass another --journal`,
          });
        }
        throw new IntegrityError(
          `batch journal ${path} fails authentication at line ${i + 1}: it was edited, or written by another profile`,
          {
            hint: 'nothing was sent; a journal is only ever appended to by emr. Move it aside (records already added stay on chain and are not added again) and re-run',
          },
        );
      }
      lastMac = mac;
      ev = body as JournalEvent;
    }
    events.push(ev);
  });
  if (events.length && events[0]!.ev !== 'job')
    throw new IntegrityError(`${path} is not a batch journal`, { hint: 'pass another --journal file' });
  return { events, validBytes: end, lastMac };
}

/** What the journal proves about each row and each transaction (replay of the events). */
export interface JournalState {
  job: JobEvent | undefined;
  stored: Map<string, StoredEvent>;
  confirmed: Map<string, { id: string; txHash: string }>;
  failed: Map<string, FailedEvent>;
  /** Transactions signed but neither confirmed nor abandoned, in nonce order (a re-broadcast must never leave a gap). */
  inflight: TxEvent[];
  /** Confirmed transactions with their gas (for the report). */
  txs: Map<string, { gasUsed: bigint; records: number }>;
}

export function replay(events: readonly JournalEvent[]): JournalState {
  const s: JournalState = { job: undefined, stored: new Map(), confirmed: new Map(), failed: new Map(), inflight: [], txs: new Map() };
  const open = new Map<string, TxEvent>();
  const signed = new Map<string, TxEvent>();
  for (const ev of events) {
    switch (ev.ev) {
      case 'job':
        s.job = ev;
        break;
      case 'store':
        break;
      case 'stored':
        s.stored.set(ev.key, ev);
        s.failed.delete(ev.key);
        break;
      case 'tx':
        open.set(ev.txHash, ev);
        signed.set(ev.txHash, ev);
        break;
      case 'sent':
        break;
      case 'confirmed':
        open.delete(ev.txHash);
        for (const [key, id] of Object.entries(ev.ids)) {
          s.confirmed.set(key, { id, txHash: ev.txHash });
          s.failed.delete(key);
        }
        s.txs.set(ev.txHash, { gasUsed: BigInt(ev.gasUsed), records: Object.keys(ev.ids).length });
        break;
      case 'abandoned':
        open.delete(ev.txHash);
        break;
      case 'lost': {
        for (const [key, c] of s.confirmed) if (c.txHash === ev.txHash) s.confirmed.delete(key);
        s.txs.delete(ev.txHash);
        const tx = signed.get(ev.txHash);
        if (tx) open.set(ev.txHash, tx);
        break;
      }
      case 'failed':
        s.failed.set(ev.key, ev);
        break;
    }
  }
  s.inflight = [...open.values()].sort((a, b) => a.nonce - b.nonce);
  return s;
}
