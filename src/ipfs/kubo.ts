/**
 * The Kubo backend (docs/STORAGE.md § "Kubo and IPFS Cluster"): a Kubo RPC API, or an
 * IPFS Cluster's Kubo-compatible proxy (which replicates what it pins).
 *
 * The DAG is built here with the fixed settings and sent block by block (`block/put`,
 * unpinned), then the root is pinned; so the CID never depends on the node's own
 * import settings, and a failed add pins nothing. Reads fetch blocks with `block/get`
 * and verify each one here (read-file.ts): the node is not trusted.
 */
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { CID } from 'multiformats/cid';
import { IntegrityError, isEmrError, NotFoundError, UnavailableError, UsageError } from '../errors.js';
import { walkDag } from './car.js';
import { parseRecordCid } from './cid.js';
import { type AddSource, importFile } from './import-file.js';
import { blockTooLarge, type FetchBlock, readVerifiedFile } from './read-file.js';
import { CODEC_RAW, MAX_BLOCK_SIZE } from './settings.js';
import type { CatOptions, RecordStore, StoreCallOptions } from './store-types.js';

export interface KuboStoreOptions {
  /** The RPC API base URL, e.g. `http://127.0.0.1:5001`. */
  url: string;
  /** How long the node may look for a block before it counts as missing (ms). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** `has` asks with a short bound: Kubo honours `offline`, js-ipfs only the timeout. */
const HAS_TIMEOUT_MS = 2_000;
/** Extra time the HTTP request gets beyond the node-side timeout before we give up on the node. */
const GRACE_MS = 5_000;
/** Pinning may walk a large DAG or wait for cluster replication. */
const PIN_TIMEOUT_MS = 10 * 60_000;

const HINT_DOWN = 'check that the IPFS node given by --ipfs-api (or EMR_IPFS_API) is running and reachable';

function oneLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

export async function openKuboStore(opts: KuboStoreOptions): Promise<RecordStore> {
  let url: URL;
  try {
    url = new URL(opts.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch (e) {
    throw new UsageError('--ipfs-api is not an http(s) URL', {
      hint: 'give the Kubo RPC API as e.g. --ipfs-api http://127.0.0.1:5001',
      cause: e,
    });
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const apiBase = new URL(url.href);
  // Our own agent, so close() can release the keep-alive sockets.
  const agent =
    url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 6 }) : new Agent({ keepAlive: true, maxSockets: 6 });
  const where = `${url.origin}`;

  /**
   * Runs one RPC call under a client-side deadline and maps failures (docs/CLI.md § Exit
   * codes): no answer or refused → UNAVAILABLE; the node's own timeout or "not found"
   * → NOT_FOUND (when `missingIsNotFound`). The caller's abort is passed through.
   */
  async function call<T>(
    what: string,
    nodeTimeoutMs: number,
    signal: AbortSignal | undefined,
    missingIsNotFound: boolean,
    fn: (o: { signal: AbortSignal; timeout: number }) => Promise<T>,
  ): Promise<T> {
    const deadline = AbortSignal.timeout(nodeTimeoutMs + GRACE_MS);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      return await fn({ signal: combined, timeout: nodeTimeoutMs });
    } catch (e) {
      if (isEmrError(e)) throw e;
      signal?.throwIfAborted();
      if (deadline.aborted) {
        throw new UnavailableError(`IPFS node ${where} did not answer ${what} in time`, { hint: HINT_DOWN, cause: e });
      }
      const err = e as { name?: string; message?: string; cause?: { code?: string }; response?: unknown };
      const msg = String(err?.message ?? e);
      const nodeSaid = err?.response !== undefined || err?.name === 'TimeoutError' || err?.name === 'HTTPError';
      if (nodeSaid && missingIsNotFound && /timed out|deadline|not found|no such|not in the local|offline/i.test(msg)) {
        throw new NotFoundError(`IPFS node ${where} could not find ${what}`, {
          hint: 'check the CID, or point --ipfs-api at a node that holds the record',
          cause: e,
        });
      }
      if (nodeSaid) {
        throw new UnavailableError(`IPFS node ${where} refused ${what}: ${oneLine(msg)}`, { hint: HINT_DOWN, cause: e });
      }
      throw new UnavailableError(`cannot reach IPFS node ${where}`, { hint: HINT_DOWN, cause: e });
    }
  }

  // Not kubo-rpc-client's block.get: it buffers the whole answer (a hostile node sent 600 MB
  // and RSS reached 1.96 GB). Our own request stops reading past MAX_BLOCK_SIZE (STORAGE.md § "Limits").
  const fetch: FetchBlock = (cid, { signal }) =>
    call(`block ${cid}`, timeoutMs, signal, true, async (o) => {
      const body = await rpcBounded(
        apiBase,
        agent,
        'block/get',
        { arg: cid.toString(), timeout: `${o.timeout}ms` },
        o,
        MAX_BLOCK_SIZE,
        () => blockTooLarge(cid),
      );
      return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    });

  /** A small JSON answer (put, pin, stat), read through the same bounds. */
  async function rpcJson(
    endpoint: string,
    params: Record<string, string>,
    o: { signal: AbortSignal; timeout: number },
    upload?: Uint8Array,
  ): Promise<Record<string, unknown>> {
    const body = await rpcBounded(apiBase, agent, endpoint, params, o, MAX_RPC_ANSWER, () => oversizedAnswer(where, endpoint), upload);
    try {
      const j = JSON.parse(body.toString('utf8')) as unknown;
      if (j !== null && typeof j === 'object') return j as Record<string, unknown>;
    } catch {
      /* below */
    }
    throw new UnavailableError(`IPFS node ${where} sent a malformed answer to ${endpoint}`, { hint: HINT_DOWN });
  }

  function keyOf(answer: Record<string, unknown>, endpoint: string): CID {
    try {
      return CID.parse(String(answer.Key));
    } catch (e) {
      throw new UnavailableError(`IPFS node ${where} sent a malformed answer to ${endpoint}`, { hint: HINT_DOWN, cause: e });
    }
  }

  async function putBlock(cid: CID, bytes: Uint8Array, signal?: AbortSignal): Promise<CID> {
    const put = (format: string) =>
      call(`block/put`, timeoutMs, signal, false, (o) =>
        rpcJson('block/put', { format, mhtype: 'sha2-256', version: '1', pin: 'false', timeout: `${o.timeout}ms` }, o, bytes),
      );
    let answer: Record<string, unknown>;
    try {
      answer = await put(cid.code === CODEC_RAW ? 'raw' : 'dag-pb');
    } catch (e) {
      // Older go-ipfs names dag-pb "protobuf" (kubo-rpc-client retried the same way, once).
      if (cid.code === CODEC_RAW || !(e instanceof UnavailableError) || !/refused/.test(e.message)) throw e;
      answer = await put('protobuf');
    }
    const got = keyOf(answer, 'block/put');
    // Nodes key blocks by multihash; a different one means the node stored other bytes.
    if (!equalBytes(got.multihash.bytes, cid.multihash.bytes)) {
      throw new IntegrityError(`IPFS node ${where} stored a block under a different hash`, {
        hint: 'the node is misbehaving; use another --ipfs-api',
      });
    }
    return cid;
  }

  async function pinRoot(root: CID, signal?: AbortSignal): Promise<void> {
    await call(`pin ${root}`, PIN_TIMEOUT_MS, signal, true, (o) =>
      rpcJson('pin/add', { arg: root.toString(), recursive: 'true', timeout: `${o.timeout}ms` }, o),
    );
  }

  const store: RecordStore = {
    kind: 'kubo',

    async add(source: AddSource, o: StoreCallOptions = {}) {
      const result = await importFile(source, { put: (cid, bytes, p) => putBlock(cid, bytes, p?.signal) }, o);
      // Pinned only after every block is stored: a failed add leaves nothing pinned.
      await pinRoot(parseRecordCid(result.cid).cid, o.signal);
      return result;
    },

    addBytes(bytes: Uint8Array, o?: StoreCallOptions) {
      return store.add(
        (async function* () {
          yield bytes;
        })(),
        o,
      );
    },

    cat(cid: string, o: CatOptions = {}) {
      return readVerifiedFile(parseRecordCid(cid).cid, fetch, o);
    },

    async has(cid: string, o: StoreCallOptions = {}) {
      const root = parseRecordCid(cid).cid;
      try {
        await call(`block ${root}`, HAS_TIMEOUT_MS, o.signal, true, (p) =>
          // Kubo's global `offline` flag keeps `has` from searching the network.
          rpcJson('block/stat', { arg: root.toString(), offline: 'true', timeout: `${p.timeout}ms` }, p),
        );
        return true;
      } catch (e) {
        if (e instanceof NotFoundError) return false;
        throw e;
      }
    },

    async pin(cid: string, o: StoreCallOptions = {}) {
      await pinRoot(parseRecordCid(cid).cid, o.signal);
    },

    async unpin(cid: string, o: StoreCallOptions = {}) {
      const root = parseRecordCid(cid).cid;
      try {
        await call(`unpin ${root}`, timeoutMs, o.signal, false, (p) =>
          rpcJson('pin/rm', { arg: root.toString(), recursive: 'true', timeout: `${p.timeout}ms` }, p),
        );
      } catch (e) {
        // Idempotent, like the embedded store: "not pinned" is success.
        if (e instanceof UnavailableError && /not pinned/i.test(e.message)) return;
        throw e;
      }
    },

    // STORAGE.md § Unpin: a Kubo node frees the blocks at its own GC (`ipfs repo gc`).
    forget(cid: string, o: StoreCallOptions = {}) {
      return store.unpin(cid, o);
    },

    // CONTRACT.md § Erasure: the blocks go now, leaves first and the root last, so an
    // interrupted purge leaves the root for a re-run to walk again. A block another pin
    // holds is refused by the node ("pinned") and kept; one already gone is skipped.
    async purge(cid: string, o: StoreCallOptions = {}) {
      await store.unpin(cid, o);
      const root = parseRecordCid(cid).cid;
      const found: CID[] = [];
      // Asked offline with a short bound first: a node looks for a missing block on the
      // network until its timeout, and a re-run meets blocks already gone.
      const local = async (c: CID) => ((await store.has(c.toString(), o).catch(() => false)) ? store.getBlock!(c, o) : undefined);
      try {
        for await (const b of walkDag(root, local)) found.push(b.cid);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e; // the blocks found so far still go
      }
      const order = [...found.filter((c) => !c.equals(root)), ...found.filter((c) => c.equals(root))];
      for (const c of order) {
        try {
          await call(`block/rm ${c}`, timeoutMs, o.signal, false, (p) =>
            rpcJson('block/rm', { arg: c.toString(), force: 'true', timeout: `${p.timeout}ms` }, p),
          );
        } catch (e) {
          if (e instanceof UnavailableError && /pinned|not found|no such|blockstore: block not found/i.test(e.message)) continue;
          throw e;
        }
      }
    },

    async getBlock(cid: CID, o: StoreCallOptions = {}) {
      try {
        return await fetch(cid, { signal: o.signal ?? new AbortController().signal, isRoot: true });
      } catch (e) {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      }
    },

    async putBlock(cid: CID, bytes: Uint8Array, o: StoreCallOptions = {}) {
      await putBlock(cid, bytes, o.signal);
    },

    async close() {
      agent.destroy();
    },
  };
  return store;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * How much of an error answer we read for its message (STORAGE.md § Limits): past it the
 * connection is closed, so a node that answers with an endless body costs nothing more.
 */
const MAX_ERROR_BODY = 64 * 1024;
/** The most a JSON answer to put, pin or stat may take (a few hundred bytes in practice). */
const MAX_RPC_ANSWER = 64 * 1024;

function oversizedAnswer(where: string, endpoint: string): Error {
  return new UnavailableError(`IPFS node ${where} sent an oversized answer to ${endpoint}`, { hint: HINT_DOWN });
}

/**
 * `POST /api/v0/<endpoint>?<params>` (with `upload` as the one part of a multipart body)
 * reading at most `limit` bytes of a 200 answer and MAX_ERROR_BODY of any other: the socket
 * is destroyed as soon as the answer goes over (or announces more in Content-Length), so
 * memory and time stay bounded whatever the node sends. Not kubo-rpc-client: it buffers
 * every answer, error text included, whole. Errors look like kubo-rpc-client's
 * (`name: 'HTTPError'`, the node's Message) so `call` maps them the same way.
 */
function rpcBounded(
  base: URL,
  agent: Agent | HttpsAgent,
  endpoint: string,
  params: Record<string, string>,
  o: { signal: AbortSignal; timeout: number },
  limit: number,
  tooLarge: () => Error,
  upload?: Uint8Array,
): Promise<Buffer> {
  const path = base.pathname.replace(/\/+$/, '').replace(/\/api\/v0$/, '');
  const target = new URL(`${path}/api/v0/${endpoint}`, base.origin);
  for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
  let body: Buffer[] = [];
  const headers: Record<string, string | number> = {};
  if (upload) {
    const boundary = `emr-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="block"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    body = [head, Buffer.from(upload.buffer, upload.byteOffset, upload.byteLength), tail];
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
    // Chunked, as kubo-rpc-client sends it: js-ipfs refuses a declared length over 1 MiB.
  }
  return new Promise<Buffer>((resolve, reject) => {
    const mod = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = mod(target, { method: 'POST', agent, signal: o.signal, headers }, (res) => {
      const ok = res.statusCode === 200;
      const max = ok ? limit : MAX_ERROR_BODY;
      const parts: Buffer[] = [];
      let size = 0;
      let done = false;
      const declared = Number(res.headers['content-length'] ?? Number.NaN);
      const fail = (e: unknown): void => {
        if (done) return;
        done = true;
        res.destroy();
        req.destroy();
        reject(e);
      };
      const finish = (): void => {
        if (done) return;
        done = true;
        const text = Buffer.concat(parts);
        if (ok) {
          resolve(text);
          return;
        }
        let msg = text.toString('utf8');
        try {
          const j = JSON.parse(msg) as { Message?: unknown };
          if (typeof j.Message === 'string') msg = j.Message;
        } catch {
          /* plain text, or cut at the bound */
        }
        reject(Object.assign(new Error(msg || `HTTP ${res.statusCode}`), { name: 'HTTPError', response: { status: res.statusCode } }));
      };
      if (ok && declared > limit) return fail(tooLarge());
      res.on('data', (d: Buffer) => {
        if (done) return;
        if (size + d.length > max) {
          if (ok) return fail(tooLarge());
          // Enough of the error text: keep what fits, hang up, report it.
          parts.push(d.subarray(0, max - size));
          size = max;
          finish();
          res.destroy();
          req.destroy();
          return;
        }
        size += d.length;
        parts.push(d);
      });
      res.on('error', fail);
      res.on('end', finish);
    });
    req.on('error', (e) => reject(e));
    for (const b of body) req.write(b);
    req.end();
  });
}
