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

type Answer = { kind: 'block'; bytes: Uint8Array } | { kind: 'file'; body: AsyncIterable<Uint8Array>; declared?: number; cancel(): void };

class Missing extends Error {}

/**
 * Reads a response body with a stall deadline: each chunk must arrive within `timeoutMs`
 * of the previous one. Yields as it goes; the caller bounds the total.
 */
async function* bodyOf(res: Response, timeoutMs: number, signal: AbortSignal, onStall: () => void): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          onStall();
          reject(new Error('stalled'));
        }, timeoutMs);
      });
      let step: { done: boolean; value?: Uint8Array };
      try {
        step = await Promise.race([reader.read(), stalled]);
      } finally {
        clearTimeout(timer);
      }
      signal.throwIfAborted();
      if (step.done) return;
      if (step.value) yield step.value;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

export function openGatewayReader(opts: GatewayReaderOptions): GatewayReader {
  const gateways = parseGatewayUrls(opts.urls);
  if (gateways.length === 0) throw new UsageError('no gateway given', { hint: 'pass --ipfs-gateway <url>' });
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GATEWAY_TIMEOUT_MS;
  /** Gateways that failed this run (down, stalled or lying): not asked again. */
  const dead = new Set<number>();

  /** One request to one gateway; throws Missing (404/410), UnavailableError or IntegrityError. */
  async function ask(gw: URL, cid: CID, signal: AbortSignal, allowFile: boolean): Promise<Answer> {
    const url = new URL(`ipfs/${cid.toString()}?format=raw`, gw);
    const ctl = new AbortController();
    const stop = AbortSignal.any([signal, ctl.signal]);
    const headerTimer = setTimeout(() => ctl.abort(new Error('timeout')), timeoutMs);
    let res: Response;
    try {
      // redirect: 'error': a trustless gateway answers /ipfs/<cid> itself; following a
      // redirect could point the request anywhere (an internal address, another scheme).
      res = await fetch(url, { headers: { accept: RAW }, redirect: 'error', signal: stop });
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
        body: bodyOf(res, timeoutMs, signal, stall),
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
      for await (const chunk of bodyOf(res, timeoutMs, signal, stall)) {
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
      throw new UnavailableError(`IPFS gateway ${nameOf(gw)} stopped sending mid-block`, { hint: HINT_DOWN, cause: e });
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
  async function fromAny(cid: CID, signal: AbortSignal, isRoot: boolean, allowFile: boolean): Promise<{ answer: Answer; gw: URL }> {
    let lied: IntegrityError | undefined;
    let down: UnavailableError | undefined;
    for (let i = 0; i < gateways.length; i++) {
      if (dead.has(i)) continue;
      const gw = gateways[i]!;
      try {
        return { answer: await ask(gw, cid, signal, allowFile), gw };
      } catch (e) {
        signal.throwIfAborted();
        if (e instanceof Missing) continue;
        dead.add(i);
        if (e instanceof IntegrityError) lied ??= e;
        else if (e instanceof UnavailableError) down ??= e;
        else throw e;
      }
    }
    if (lied) throw lied;
    if (down) throw down;
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

  /** The whole-file path: spool, re-import with the fixed settings, compare the root, then yield. */
  async function* wholeFile(
    root: CID,
    gw: URL,
    answer: Extract<Answer, { kind: 'file' }>,
    signal: AbortSignal,
  ): AsyncGenerator<Uint8Array> {
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
        throw new UnavailableError(`IPFS gateway ${nameOf(gw)} stopped sending mid-file`, { hint: HINT_DOWN, cause: e });
      }
      await fh.close();
      if (got !== root.toString()) {
        throw new IntegrityError(`IPFS gateway ${nameOf(gw)} sent a file that does not match CID ${root}`, { hint: HINT_BAD });
      }
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_SIZE, signal })) yield chunk as Buffer;
    } finally {
      await fh.close().catch(() => {});
      await rm(path, { force: true });
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
        const { answer, gw } = await fromAny(root, signal, true, root.code === CODEC_DAG_PB);
        if (answer.kind === 'file') {
          yield* wholeFile(root, gw, answer, signal);
          return;
        }
        const first = answer.bytes;
        yield* readVerifiedFile(root, (c, p) => (p.isRoot ? Promise.resolve(first) : fetchBlock(c, p)), { signal });
      } finally {
        stop.abort();
      }
    },
  };
}
