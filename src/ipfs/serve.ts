/**
 * `emr store serve` (docs/STORAGE.md § "Serving a store"): the embedded store as a
 * read-only IPFS Trustless Gateway, so other sites and patients can read records this
 * site holds, with nothing trusted but the CID.
 *
 * Spec subset (IPFS HTTP Gateways, Trustless Gateway): `GET|HEAD /ipfs/<cid>` with
 * `?format=raw` or `Accept: application/vnd.ipld.raw` answers one block;
 * `?format=car` or `Accept: application/vnd.ipld.car` answers a CARv1 of the DAG
 * (`dag-scope=all` by default, `block` and `entity` honoured, `entity-bytes` giving only
 * the blocks of a byte range), depth-first, without duplicates; `/ipfs/bafkqaaa` answers
 * the spec's probe; 400 without Accept or ?format, 412 for `only-if-cached` (STORAGE.md
 * § Serving a store, "Conformance").
 * No paths, no UnixFS rendering, no writes. Every block is re-verified before it is sent.
 * Limits: URL length, concurrent connections, header/request deadlines, a stalled-socket
 * bound, walk bounds
 * (car.ts), and nothing but blocks the store holds (no network lookups).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CID } from 'multiformats/cid';
import { IntegrityError, NotFoundError, UnavailableError, UsageError } from '../errors.js';
import { type Block, type ByteRange, carBytes, entitySize, walkDag } from './car.js';
import type { EmbeddedStore } from './embedded.js';
import { admission, HEADERS_MS } from './serve-limits.js';
import { CODEC_DAG_PB, CODEC_RAW, SHA2_256 } from './settings.js';
import { verifyBlock } from './verify.js';

const RAW = 'application/vnd.ipld.raw';
const CAR = 'application/vnd.ipld.car';
/** Longest request target accepted (a CIDv1 is ~60 characters). */
const MAX_URL = 512;
/**
 * A connection on which nothing moves (no byte read or written) this long is dropped.
 * Threat: a client that asks for a CAR and never reads held its slot forever (the answer
 * waits for 'drain'); 64 of them shut the gateway for everyone. A slow reader that does
 * read keeps its connection.
 */
const STALL_MS = 20_000;
/**
 * Requests in flight on one connection (pipelined, answered in order). Threat: 100,000
 * requests sent in one burst on a connection that is never read kept as many request and
 * answer objects (+700 MB); beyond this the connection is cut.
 */
const MAX_PIPELINED = 16;

export interface ServeOptions {
  host: string;
  port: number;
  /** The stall bound (STALL_MS); only the test suite sets another (testStallMs). */
  stallMs?: number;
}

/**
 * `EMR_TEST_STALL_MS` (docs/STORAGE.md § Serving a store): the suite's shorter stall bound,
 * so that a test waits 2 s, not 20, for the gateway to drop a reader that reads nothing.
 * Honoured only with EMR_TEST=1, refused otherwise: a stray variable never changes how a
 * real gateway treats its clients.
 */
export function testStallMs(env: NodeJS.ProcessEnv): number | undefined {
  const v = env.EMR_TEST_STALL_MS;
  if (v === undefined || v === '') return undefined;
  if (env.EMR_TEST !== '1') {
    throw new UsageError('EMR_TEST_STALL_MS is test-only and needs EMR_TEST=1', {
      hint: `unset EMR_TEST_STALL_MS: a gateway drops a stalled client after ${STALL_MS / 1000} s`,
    });
  }
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 100 || n > STALL_MS)
    throw new UsageError('bad EMR_TEST_STALL_MS', { hint: `100 to ${STALL_MS} (milliseconds)` });
  return n;
}

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

/** Parses `--listen host:port` (`[::1]:8080` for IPv6). */
export function parseListen(listen: string): ServeOptions {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new UsageError(`--listen ${JSON.stringify(listen)} is not host:port`, {
      hint: 'e.g. --listen 127.0.0.1:8080 (port 0 picks a free one)',
    });
  }
  return { host: (m[1] ?? m[2])!, port };
}

/**
 * The response format: `?format=` first, else the first trustless type in Accept (no
 * q-value ranking needed for two types). `missing`: neither says anything (400, STORAGE.md
 * § Serving a store); `unsupported`: they ask for something else (406).
 */
function wants(req: IncomingMessage, url: URL): { kind: 'raw' | 'car'; fromAccept: boolean } | 'missing' | 'unsupported' {
  const format = url.searchParams.get('format');
  if (format === 'raw') return { kind: 'raw', fromAccept: false };
  if (format === 'car') return { kind: 'car', fromAccept: false };
  if (format !== null) return 'unsupported';
  const accept = (req.headers.accept ?? '').toLowerCase().trim();
  if (accept === '') return 'missing';
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim());
  for (const t of types) {
    if (t === RAW) return { kind: 'raw', fromAccept: true };
    if (t === CAR) return { kind: 'car', fromAccept: true };
  }
  return 'unsupported';
}

/** `?dag-scope=` (Trustless Gateway, "dag-scope"): block, entity or all (the default); null when unknown. */
function dagScope(url: URL): 'block' | 'entity' | 'all' | null {
  const v = url.searchParams.get('dag-scope');
  if (v === null || v === 'all') return 'all';
  return v === 'block' || v === 'entity' ? v : null;
}

/** `?entity-bytes=from:to` as asked (negative: from the end; `*`: the end), or null when malformed. */
function entityBytes(text: string): { from: number; to: number | '*' } | null {
  const m = /^(-?\d{1,15}):(-?\d{1,15}|\*)$/.exec(text);
  if (!m) return null;
  return { from: Number(m[1]), to: m[2] === '*' ? '*' : Number(m[2]) };
}

/** The inclusive range `asked` means for a file of `size` bytes; null when empty. */
function resolveRange(asked: { from: number; to: number | '*' }, size: number): { from: number; to: number } | null {
  const from = asked.from < 0 ? Math.max(0, size + asked.from) : asked.from;
  const to = asked.to === '*' ? size - 1 : Math.min(size - 1, asked.to < 0 ? size + asked.to : asked.to);
  return from <= to ? { from, to } : null;
}

/** The empty identity CID, the Trustless Gateway spec's probe ("Dedicated Probe Paths"). */
const PROBE = 'bafkqaaa';

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(text + '\n');
}

function parseCid(s: string): CID | undefined {
  try {
    const c = CID.parse(s).toV1();
    if ((c.code !== CODEC_RAW && c.code !== CODEC_DAG_PB) || c.multihash.code !== SHA2_256) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

async function handle(store: EmbeddedStore, req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return plain(res, 405, 'read-only gateway: GET and HEAD only');
  }
  if ((req.url ?? '').length > MAX_URL) return plain(res, 414, 'request target too long');
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  const m = /^\/ipfs\/([A-Za-z0-9]+)\/?$/.exec(url.pathname);
  if (!m) return plain(res, 404, 'only /ipfs/<cid> is served (no paths, no IPNS)');
  const probe = m[1] === PROBE;
  const cid = probe ? CID.parse(PROBE) : parseCid(m[1]!);
  if (!cid) return plain(res, 400, 'not a CID this gateway serves (sha2-256, raw or dag-pb)');
  const asked = wants(req, url);
  if (asked === 'missing') return plain(res, 400, `a trustless gateway: ask for ${RAW} or ${CAR} (Accept, or ?format=raw|car)`);
  if (asked === 'unsupported') return plain(res, 406, `a trustless gateway: ask for ${RAW} or ${CAR} (or ?format=raw|car)`);
  const { kind } = asked;
  const scope = dagScope(url);
  if (scope === null) return plain(res, 400, 'dag-scope must be block, entity or all');
  const rangeText = url.searchParams.get('entity-bytes');
  const range = rangeText === null ? null : entityBytes(rangeText);
  if (rangeText !== null && range === null)
    return plain(res, 400, 'entity-bytes must be from:to (integers, negative from the end, or * for the end)');
  // A pipelined request's answer waits behind the answers before it (its socket is assigned
  // at its turn). Threat: every queued answer used to read its blocks into its own buffer
  // at once, ~750 MB for 300 CAR requests sent in one burst on one unread connection.
  if (!res.socket) {
    await new Promise<void>((resolve) => {
      res.once('socket', () => resolve());
      req.once('close', () => resolve()); // the connection died while this waited
    });
    if (!res.socket || req.socket.destroyed) return;
  }
  // Content-Location (path gateway, "Content-Location"): the format came from Accept, so
  // name the URL with it, for caches that key on the URL alone.
  const located = new URLSearchParams(url.searchParams);
  located.set('format', kind);
  const common: Record<string, string> = {
    'x-ipfs-path': `/ipfs/${cid}`,
    'x-content-type-options': 'nosniff',
    'cache-control': 'public, max-age=29030400, immutable',
    vary: 'Accept',
    ...(asked.fromAccept ? { 'content-location': `/ipfs/${m[1]}?${located}` } : {}),
  };

  // STORAGE.md § Serving a store, "What it serves": only blocks a pin reaches. An unpinned
  // block is an add in progress, an import's leftover or garbage: not this site's to publish.
  // The probe CID holds its (empty) block in itself.
  if (!probe && !(await store.isPinnedBlock(cid, { signal }))) return absent(req, res, cid);
  const rootBytes = probe ? new Uint8Array() : await store.getBlock(cid, { signal });
  if (rootBytes === undefined) return absent(req, res, cid);
  if (!probe) {
    try {
      verifyBlock(cid, rootBytes);
    } catch {
      return plain(res, 500, `the stored copy of block ${cid} is damaged`);
    }
  }
  if (kind === 'raw') {
    res.writeHead(200, {
      ...common,
      'content-type': RAW,
      'content-length': String(rootBytes.length),
      'content-disposition': `attachment; filename="${cid}.bin"`,
      etag: `"${cid}.raw"`,
    });
    res.end(req.method === 'HEAD' ? undefined : rootBytes);
    return;
  }

  // CAR. entity-bytes (it implies dag-scope=entity) keeps only the blocks that hold the
  // range of the file; the ETag names the scope and the range, so caches never give one
  // answer for another (Trustless Gateway, "dag-scope", "entity-bytes").
  const size = probe ? 0 : entitySize(cid, rootBytes);
  let walk: { scope: 'all' | 'block'; range?: ByteRange } = { scope: scope === 'block' ? 'block' : 'all' };
  let etag = `"${cid}.car.${scope}"`;
  if (scope === 'entity' && size === null) walk = { scope: 'block' }; // not a file: its entity is its root block
  if (range) {
    etag = `"${cid}.car.entity.${range.from}:${range.to}"`;
    if (size === null)
      walk = { scope: 'block' }; // not a file: the parameter is ignored
    else if (range.from >= size && size > 0) return plain(res, 400, `entity-bytes starts after the end of the ${size}-byte file`);
    else {
      const r = resolveRange(range, size);
      walk = r ? { scope: 'all', range: r } : { scope: 'block' };
    }
  }
  res.writeHead(200, {
    ...common,
    'content-type': `${CAR}; version=1; order=dfs; dups=n`,
    'content-disposition': `attachment; filename="${cid}.car"`,
    etag,
  });
  if (req.method === 'HEAD') return void res.end();
  // The probe's identity block is skipped (allowed by the spec): the CAR is its header.
  const blocks: AsyncIterable<Block> = probe
    ? (async function* () {})()
    : walkDag(cid, (c) => store.getBlock(c, { signal }), new Set(), walk);
  for await (const chunk of carBytes([cid], blocks)) {
    if (!res.write(chunk)) await new Promise<void>((r) => res.once('drain', r).once('close', r));
    signal.throwIfAborted();
  }
  res.end();
}

/**
 * The root block is not served here: 404, or 412 when the client said `Cache-Control:
 * only-if-cached` (path gateway, "412 Precondition Failed": no payload).
 */
function absent(req: IncomingMessage, res: ServerResponse, cid: CID): void {
  if (/(^|,)\s*only-if-cached\s*(,|$)/i.test(String(req.headers['cache-control'] ?? ''))) {
    res.writeHead(412, { 'content-length': '0' });
    return void res.end();
  }
  plain(res, 404, `block ${cid} is not in this store`);
}

/** Starts the gateway; resolves once listening. */
export async function serveStore(store: EmbeddedStore, opts: ServeOptions): Promise<RunningGateway> {
  const inFlight = new WeakMap<Socket, number>();
  const admit = admission();
  const server: Server = createServer((req, res) => {
    const sock = req.socket;
    const done = admit.requestStarted(sock);
    res.once('close', done);
    const n = (inFlight.get(sock) ?? 0) + 1;
    if (n > MAX_PIPELINED) return void sock.destroy();
    inFlight.set(sock, n);
    res.once('close', () => inFlight.set(sock, (inFlight.get(sock) ?? 1) - 1));
    const ctl = new AbortController();
    res.once('close', () => ctl.abort());
    handle(store, req, res, ctl.signal).catch((e) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = e instanceof NotFoundError ? 404 : e instanceof IntegrityError ? 500 : 503;
      plain(res, status, status === 404 ? 'not in this store' : 'the store could not serve this');
    });
  });
  // Admission (serve-limits.ts) caps connections per client and in all, and times headers
  // out per connection; Node's own cap would refuse newcomers instead of slow holders.
  server.on('connection', (sock: Socket) => admit.admit(sock));
  server.headersTimeout = HEADERS_MS;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.setTimeout(opts.stallMs ?? STALL_MS); // no 'timeout' listener: Node destroys the socket
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(
        new UnavailableError(`cannot listen on ${opts.host}:${opts.port}`, { hint: 'pick a free port with --listen host:port', cause: e }),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string')
    throw new UnavailableError('the gateway has no TCP address', { hint: 'use --listen host:port' });
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
