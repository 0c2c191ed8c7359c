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
import type { CID } from 'multiformats/cid';
import {
  IntegrityError,
  NotFoundError,
  UnavailableError,
  UsageError,
  isEmrError,
} from '../errors.js';
import { parseRecordCid } from './cid.js';
import { importFile, type AddSource } from './import-file.js';
import { blockTooLarge, readVerifiedFile, type FetchBlock } from './read-file.js';
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
  // Copied before kubo-rpc-client (which rewrites the URL's path) sees it.
  const apiBase = new URL(url.href);
  // Lazy: kubo-rpc-client is the heaviest import emr has; the embedded store never needs it.
  const { create } = await import('kubo-rpc-client');
  // Our own agent, so close() can release the keep-alive sockets.
  const agent = url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, maxSockets: 6 }) : new Agent({ keepAlive: true, maxSockets: 6 });
  const client = create({ url, agent });
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

  // Not client.block.get: it buffers the whole answer (a hostile node sent 600 MB and RSS
  // reached 1.96 GB). Our own request stops reading past MAX_BLOCK_SIZE (STORAGE.md § "Limits").
  const fetch: FetchBlock = (cid, { signal }) =>
    call(`block ${cid}`, timeoutMs, signal, true, (o) => getBlockBounded(apiBase, agent, cid, o));

  async function putBlock(cid: CID, bytes: Uint8Array, signal?: AbortSignal): Promise<CID> {
    const got = await call(`block/put`, timeoutMs, signal, false, (o) =>
      client.block.put(bytes, {
        ...o,
        format: cid.code === CODEC_RAW ? 'raw' : 'dag-pb',
        mhtype: 'sha2-256',
        version: 1,
        pin: false,
      }),
    );
    // Nodes key blocks by multihash; a different one means the node stored other bytes.
    if (!equalBytes(got.multihash.bytes, cid.multihash.bytes)) {
      throw new IntegrityError(`IPFS node ${where} stored a block under a different hash`, {
        hint: 'the node is misbehaving; use another --ipfs-api',
      });
    }
    return cid;
  }

  async function pinRoot(root: CID, signal?: AbortSignal): Promise<void> {
    await call(`pin ${root}`, PIN_TIMEOUT_MS, signal, true, (o) => client.pin.add(root, { ...o, recursive: true }));
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
      return store.add((async function* () { yield bytes; })(), o);
    },

    cat(cid: string, o: CatOptions = {}) {
      return readVerifiedFile(parseRecordCid(cid).cid, fetch, o);
    },

    async has(cid: string, o: StoreCallOptions = {}) {
      const root = parseRecordCid(cid).cid;
      try {
        await call(`block ${root}`, HAS_TIMEOUT_MS, o.signal, true, (p) =>
          // kubo-rpc-client forwards unknown options as query parameters: Kubo's global
          // `offline` flag keeps `has` from searching the network.
          client.block.stat(root, { ...p, offline: true } as Parameters<typeof client.block.stat>[1]),
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
        await call(`unpin ${root}`, timeoutMs, o.signal, false, (p) => client.pin.rm(root, { ...p, recursive: true }));
      } catch (e) {
        // Idempotent, like the embedded store: "not pinned" is success.
        if (e instanceof UnavailableError && /not pinned/i.test(e.message)) return;
        throw e;
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

/** How much of an error answer we read for its message. */
const MAX_ERROR_BODY = 16 * 1024;

/**
 * `POST /api/v0/block/get?arg=<cid>` reading at most MAX_BLOCK_SIZE bytes: the socket is
 * destroyed as soon as the answer goes over (or announces more in Content-Length), so
 * memory stays bounded whatever the node sends. Errors look like kubo-rpc-client's
 * (`name: 'HTTPError'`, the node's Message) so `call` maps them the same way.
 */
function getBlockBounded(base: URL, agent: Agent | HttpsAgent, cid: CID, o: { signal: AbortSignal; timeout: number }): Promise<Uint8Array> {
  const path = base.pathname.replace(/\/+$/, '').replace(/\/api\/v0$/, '');
  const target = new URL(`${path}/api/v0/block/get`, base.origin);
  target.searchParams.set('arg', cid.toString());
  target.searchParams.set('timeout', `${o.timeout}ms`);
  return new Promise<Uint8Array>((resolve, reject) => {
    const mod = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = mod(target, { method: 'POST', agent, signal: o.signal }, (res) => {
      const ok = res.statusCode === 200;
      const limit = ok ? MAX_BLOCK_SIZE : MAX_ERROR_BODY;
      const parts: Buffer[] = [];
      let size = 0;
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (ok && declared > MAX_BLOCK_SIZE) {
        res.destroy();
        reject(blockTooLarge(cid));
        return;
      }
      res.on('data', (d: Buffer) => {
        size += d.length;
        if (size > limit) {
          if (ok) {
            res.destroy();
            req.destroy();
            reject(blockTooLarge(cid));
          }
          return; // error text beyond the limit is dropped
        }
        parts.push(d);
      });
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(parts);
        if (ok) return resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
        let msg = body.toString('utf8');
        try {
          const j = JSON.parse(msg) as { Message?: unknown };
          if (typeof j.Message === 'string') msg = j.Message;
        } catch {
          /* plain text */
        }
        reject(Object.assign(new Error(msg || `HTTP ${res.statusCode}`), { name: 'HTTPError', response: { status: res.statusCode } }));
      });
    });
    req.on('error', reject);
    req.end();
  });
}
