/**
 * Reading through IPFS Trustless Gateways (docs/STORAGE.md § "Gateways").
 *
 * A gateway is anybody's HTTP server: emr's own `emr store serve`, a Kubo node's gateway,
 * a public one. Nothing it says is trusted. Each block is asked for on its own
 * (`GET /ipfs/<cid>?format=raw`, `Accept: application/vnd.ipld.raw`), read under a size
 * cap and a stall deadline, and hashed against its CID before use (verify.ts); the DAG is
 * walked by the same verifying reader as every other backend (read-file.ts). Gateways are
 * tried in the order given, per block; a gateway that fails is skipped for the rest of
 * the run.
 *
 * Gateways that only serve whole files (STORAGE.md § "Whole-file gateways"): when the
 * answer to a raw-block request for a dag-pb root is not a raw block, the body is taken
 * as the whole file, spooled to a private scratch file, re-imported with the fixed import
 * settings, and used only if that gives the same root CID.
 */

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CID } from 'multiformats/cid';
import { IntegrityError, isEmrError, NotFoundError, UnavailableError, UsageError } from '../errors.js';
import { parseRecordCid } from './cid.js';
import { importFile } from './import-file.js';
import { type FetchBlock, readVerifiedFile } from './read-file.js';
import { CHUNK_SIZE, CODEC_DAG_PB } from './settings.js';
import { verifyBlock } from './verify.js';

/**
 * The largest block any backend may hand us: a raw leaf is at most one chunk, a dag-pb
 * node of 174 links is a few KiB (STORAGE.md § "Import settings").
 */
export const MAX_GATEWAY_BLOCK_BYTES = CHUNK_SIZE + 64 * 1024;
/** The largest whole file a whole-file gateway may send (spooled to disk, not memory). */
export const MAX_WHOLE_FILE_BYTES = 8 * 1024 ** 3;
/** How long a gateway may take to answer, or stay silent mid-body, before it counts as down. */
export const DEFAULT_GATEWAY_TIMEOUT_MS = 30_000;
/**
 * STORAGE.md § Gateways "Time": the least average rate (bytes/s) a gateway must keep up.
 * A request's deadline is `timeout + received / MIN_GATEWAY_RATE` from its start, so it
 * grows only with the bytes that arrived and can never pass `timeout + max / rate` (the
 * bytes the request may return). Threat: the stall timer alone reset on every byte, so one
 * byte every 2 s kept a fetch going for ever and the next gateway was never asked.
 */
export const MIN_GATEWAY_RATE = 16 * 1024;

const RAW = 'application/vnd.ipld.raw';
const HINT_BAD = 'the gateway sent bytes that do not match the CID; it is broken or hostile: use another --ipfs-gateway';
const HINT_DOWN = 'check that the --ipfs-gateway URL (or EMR_IPFS_GATEWAY) is right and the gateway is running';

export interface GatewayReaderOptions {
  /** Gateway base URLs, tried in order (`http://host:port`, optionally with a path prefix). */
  urls: string[];
  timeoutMs?: number;
  /** A private directory for whole-file spooling (`<home>/tmp`). */
  scratchDir: string;
}

export interface GatewayReader {
  /** Streams the verified bytes of a record from the first gateway that has it. */
  cat(cid: string, opts?: { signal?: AbortSignal }): AsyncGenerator<Uint8Array>;
}

/** Checks and normalises gateway URLs (usage errors name the bad one). */
export function parseGatewayUrls(urls: string[]): URL[] {
  return urls.map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch (e) {
      throw new UsageError(`--ipfs-gateway ${JSON.stringify(u)} is not a URL`, {
        hint: 'give a gateway as e.g. --ipfs-gateway http://127.0.0.1:8080',
        cause: e,
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`--ipfs-gateway ${JSON.stringify(u)} is not an http(s) URL`, {
        hint: 'give a gateway as e.g. --ipfs-gateway http://127.0.0.1:8080',
      });
    }
    if (url.username || url.password) {
      throw new UsageError('--ipfs-gateway must not carry credentials in the URL', {
        hint: 'put the gateway behind a local proxy that adds them',
      });
    }
    url.search = '';
    url.hash = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return url;
  });
}

/** A printable, bounded name for a gateway (its origin only: no path, no query). */
function nameOf(url: URL): string {
  return url.origin.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

function slowOrStopped(gw: URL, what: 'block' | 'file', e: unknown): UnavailableError {
  if (e instanceof TooSlow) {
    return new UnavailableError(`IPFS gateway ${nameOf(gw)} sends too slowly (under ${MIN_GATEWAY_RATE / 1024} KiB/s)`, {
      hint: 'the gateway is overloaded or hostile; another --ipfs-gateway is tried, or raise EMR_IPFS_TIMEOUT on a slow link',
      cause: e,
    });
  }
  return new UnavailableError(`IPFS gateway ${nameOf(gw)} stopped sending mid-${what}`, { hint: HINT_DOWN, cause: e });
}

/** Why gateways were given up on, for the error when none is left: a lie beats "down". */
interface Failures {
  lied?: IntegrityError;
  down?: UnavailableError;
}
function noteFailure(failed: Failures, e: unknown): void {
  if (e instanceof IntegrityError) failed.lied ??= e;
  else if (e instanceof UnavailableError) failed.down ??= e;
  else throw e;
}

type Answer = { kind: 'block'; bytes: Uint8Array } | { kind: 'file'; body: AsyncIterable<Uint8Array>; declared?: number; cancel(): void };

class Missing extends Error {}
/** The gateway sent, but slower than MIN_GATEWAY_RATE on average (a drip). */
class TooSlow extends Error {}

/**
 * Reads a response body under two deadlines (STORAGE.md § Gateways "Time"): each chunk
 * must arrive within `timeoutMs` of the previous one (a stall), and the whole body by
 * `startedAt + timeoutMs + received / MIN_GATEWAY_RATE` (a drip). Yields as it goes; the
 * caller bounds the total bytes.
 */
async function* bodyOf(
  res: Response,
  timing: { timeoutMs: number; startedAt: number },
  signal: AbortSignal,
  onStall: () => void,
): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let received = 0;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const left = timing.startedAt + timing.timeoutMs + (received * 1000) / MIN_GATEWAY_RATE - Date.now();
      const stalled = new Promise<never>((_, reject) => {
        const slow = left < timing.timeoutMs;
        timer = setTimeout(
          () => {
            // Reject before aborting: the abort rejects the pending read at once, and the
            // race must see why we gave up (too slow vs stopped), not the abort it caused.
            reject(slow ? new TooSlow('too slow') : new Error('stalled'));
            onStall();
          },
          Math.max(0, Math.min(timing.timeoutMs, left)),
        );
      });
      let step: { done: boolean; value?: Uint8Array };
      try {
        step = await Promise.race([reader.read(), stalled]);
      } finally {
        clearTimeout(timer);
      }
      signal.throwIfAborted();
      if (step.done) return;
      if (step.value) {
        received += step.value.length;
        yield step.value;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

export function openGatewayReader(opts: GatewayReaderOptions): GatewayReader {
  const gateways = parseGatewayUrls(opts.urls);
  if (gateways.length === 0) throw new UsageError('no gateway given', { hint: 'pass --ipfs-gateway <url>' });
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GATEWAY_TIMEOUT_MS;
  /**
   * Gateways that failed this run (down, stalled or lying), with why: not asked again, and a
   * later read that finds every gateway dead reports that reason (a gateway that lied about
   * one CID is exit 4 for the next CID too, not "on none of the gateways", exit 7).
   */
  const dead = new Map<number, unknown>();

  /** One request to one gateway; throws Missing (404/410), UnavailableError or IntegrityError. */
  async function ask(gw: URL, cid: CID, signal: AbortSignal, allowFile: boolean): Promise<Answer> {
    const url = new URL(`ipfs/${cid.toString()}?format=raw`, gw);
    const timing = { timeoutMs, startedAt: Date.now() };
    const ctl = new AbortController();
    const stop = AbortSignal.any([signal, ctl.signal]);
    const headerTimer = setTimeout(() => ctl.abort(new Error('timeout')), timeoutMs);
    let res: Response;
    try {
      // redirect: 'error': a trustless gateway answers /ipfs/<cid> itself; following a
      // redirect could point the request anywhere (an internal address, another scheme).
      // accept-encoding identity: fetch() would otherwise decode gzip/br itself (below).
      res = await fetch(url, { headers: { accept: RAW, 'accept-encoding': 'identity' }, redirect: 'error', signal: stop });
    } catch (e) {
      signal.throwIfAborted();
      throw new UnavailableError(
        ctl.signal.aborted ? `IPFS gateway ${nameOf(gw)} did not answer in time` : `cannot reach IPFS gateway ${nameOf(gw)}`,
        { hint: HINT_DOWN, cause: e },
      );
    } finally {
      clearTimeout(headerTimer);
    }
    const stall = () => ctl.abort(new Error('stalled'));
    if (res.status === 404 || res.status === 410) {
      res.body?.cancel().catch(() => {});
      throw new Missing();
    }
    if (res.status !== 200) {
      res.body?.cancel().catch(() => {});
      throw new UnavailableError(`IPFS gateway ${nameOf(gw)} answered HTTP ${res.status}`, { hint: HINT_DOWN });
    }
    // STORAGE.md § Gateways "Encoding": fetch() decodes a compressed body on its own, so a
    // length bound would count decoded bytes only after the CPU was spent. Threat: ~2 MB
    // of gzip became 2 GiB spooled and 32 s of CPU. Refused before a byte is read.
    const encoding = (res.headers.get('content-encoding') ?? '').trim().toLowerCase();
    if (encoding !== '' && encoding !== 'identity') {
      res.body?.cancel().catch(() => {});
      throw new IntegrityError(`IPFS gateway ${nameOf(gw)} sent a compressed answer (Content-Encoding) though none was asked for`, {
        hint: 'blocks and files are taken only as sent (Accept-Encoding: identity); use another --ipfs-gateway or fix its proxy',
      });
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const lengthHeader = res.headers.get('content-length');
    const declared = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    if (type !== RAW && allowFile) {
      if (declared !== undefined && declared > MAX_WHOLE_FILE_BYTES) {
        res.body?.cancel().catch(() => {});
        throw new IntegrityError(`IPFS gateway ${nameOf(gw)} offers a file larger than the limit`, { hint: HINT_BAD });
      }
      return {
        kind: 'file',
        body: bodyOf(res, timing, signal, stall),
        ...(declared === undefined ? {} : { declared }),
        cancel: () => ctl.abort(),
      };
    }
    if (declared !== undefined && declared > MAX_GATEWAY_BLOCK_BYTES) {
      res.body?.cancel().catch(() => {});
      throw new IntegrityError(`IPFS gateway ${nameOf(gw)} sent a block larger than any record block`, { hint: HINT_BAD });
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of bodyOf(res, timing, signal, stall)) {
        total += chunk.length;
        if (total > MAX_GATEWAY_BLOCK_BYTES) {
          ctl.abort();
          throw new IntegrityError(`IPFS gateway ${nameOf(gw)} sent a block larger than any record block`, { hint: HINT_BAD });
        }
        parts.push(chunk);
      }
    } catch (e) {
      if (isEmrError(e)) throw e;
      signal.throwIfAborted();
      throw slowOrStopped(gw, 'block', e);
    }
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    // verifyBlock raises IntegrityError for wrong or truncated bytes.
    try {
      verifyBlock(cid, bytes);
    } catch (e) {
      throw new IntegrityError(`IPFS gateway ${nameOf(gw)} sent bytes that do not match block ${cid}`, { hint: HINT_BAD, cause: e });
    }
    return { kind: 'block', bytes };
  }

  /**
   * Tries each live gateway in order. The first good answer wins; when none has one, the
   * error says why: integrity (someone lied) beats unavailable beats not found.
   */
  async function fromAny(
    cid: CID,
    signal: AbortSignal,
    isRoot: boolean,
    allowFile: boolean,
    failed: Failures = {},
  ): Promise<{ answer: Answer; gw: URL; index: number }> {
    for (let i = 0; i < gateways.length; i++) {
      if (dead.has(i)) {
        noteFailure(failed, dead.get(i));
        continue;
      }
      const gw = gateways[i]!;
      try {
        return { answer: await ask(gw, cid, signal, allowFile), gw, index: i };
      } catch (e) {
        signal.throwIfAborted();
        if (e instanceof Missing) continue;
        dead.set(i, e);
        noteFailure(failed, e);
      }
    }
    if (failed.lied) throw failed.lied;
    if (failed.down) throw failed.down;
    if (isRoot) {
      throw new NotFoundError(`CID ${cid} is on none of the IPFS gateways given`, {
        hint: 'check the CID, or add --ipfs-gateway <url> of a site that holds the record',
      });
    }
    throw new UnavailableError(`no IPFS gateway has block ${cid} of the record`, {
      hint: 'the gateways hold an incomplete copy; try another --ipfs-gateway',
    });
  }

  const fetchBlock: FetchBlock = async (cid, { signal, isRoot }) => {
    const { answer } = await fromAny(cid, signal, isRoot, false);
    if (answer.kind !== 'block') throw new Error('unreachable');
    return answer.bytes;
  };

  /**
   * The whole-file path: spool, re-import with the fixed settings, compare the root.
   * Returns the verified spool file (the caller yields it and removes it); on failure
   * nothing is left and nothing was yielded, so the next gateway can still be asked.
   */
  async function spoolWholeFile(root: CID, gw: URL, answer: Extract<Answer, { kind: 'file' }>, signal: AbortSignal): Promise<string> {
    const path = join(opts.scratchDir, `.gateway-${randomBytes(8).toString('hex')}.part`);
    const fh = await open(path, 'wx', 0o600);
    try {
      let total = 0;
      async function* tee(): AsyncGenerator<Uint8Array> {
        for await (const chunk of answer.body) {
          total += chunk.length;
          if (total > MAX_WHOLE_FILE_BYTES) {
            answer.cancel();
            throw new IntegrityError(`IPFS gateway ${nameOf(gw)} sent a file larger than the limit`, { hint: HINT_BAD });
          }
          await fh.write(chunk);
          yield chunk;
        }
      }
      let got: string;
      try {
        // The blocks are thrown away: only the root CID they add up to matters.
        got = (await importFile(tee(), { put: async (c) => c }, { signal })).cid;
      } catch (e) {
        if (isEmrError(e)) throw e;
        signal.throwIfAborted();
        throw slowOrStopped(gw, 'file', e);
      }
      await fh.close();
      if (got !== root.toString()) {
        throw new IntegrityError(`IPFS gateway ${nameOf(gw)} sent a file that does not match CID ${root}`, { hint: HINT_BAD });
      }
      return path;
    } catch (e) {
      answer.cancel();
      await fh.close().catch(() => {});
      await rm(path, { force: true });
      throw e;
    }
  }

  return {
    async *cat(cid: string, o: { signal?: AbortSignal } = {}) {
      const root = parseRecordCid(cid).cid;
      const stop = new AbortController();
      const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
      try {
        // The root decides the path: a raw block goes through the verifying DAG reader,
        // anything else from a dag-pb request is treated as the whole file.
        // A whole file that fails (too slow, cut, not the CID) counts against its gateway
        // alone: nothing of it was yielded, so the next gateway is asked (STORAGE.md § Gateways).
        const failed: Failures = {};
        for (;;) {
          const { answer, gw, index } = await fromAny(root, signal, true, root.code === CODEC_DAG_PB, failed);
          if (answer.kind === 'block') {
            const first = answer.bytes;
            yield* readVerifiedFile(root, (c, p) => (p.isRoot ? Promise.resolve(first) : fetchBlock(c, p)), { signal });
            return;
          }
          let path: string;
          try {
            path = await spoolWholeFile(root, gw, answer, signal);
          } catch (e) {
            signal.throwIfAborted();
            dead.set(index, e);
            noteFailure(failed, e);
            continue;
          }
          try {
            for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_SIZE, signal })) yield chunk as Buffer;
          } finally {
            await rm(path, { force: true });
          }
          return;
        }
      } finally {
        stop.abort();
      }
    },
  };
}
