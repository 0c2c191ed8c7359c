/**
 * `emr store serve` (docs/STORAGE.md § "Serving a store"): the embedded store as a
 * read-only IPFS Trustless Gateway, so other sites and patients can read records this
 * site holds, with nothing trusted but the CID.
 *
 * Spec subset (IPFS HTTP Gateways, Trustless Gateway): `GET|HEAD /ipfs/<cid>` with
 * `?format=raw` or `Accept: application/vnd.ipld.raw` answers one block;
 * `?format=car` or `Accept: application/vnd.ipld.car` answers a CARv1 of the DAG
 * (`dag-scope=all` by default, `block` honoured), depth-first, without duplicates.
 * No paths, no UnixFS rendering, no writes. Every block is re-verified before it is sent.
 * Limits: URL length, concurrent connections, header/request deadlines, a stalled-socket
 * bound, walk bounds
 * (car.ts), and nothing but blocks the store holds (no network lookups).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CID } from 'multiformats/cid';
import { IntegrityError, NotFoundError, UnavailableError, UsageError } from '../errors.js';
import { carBytes, walkDag } from './car.js';
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

function wants(req: IncomingMessage, url: URL): 'raw' | 'car' | undefined {
  const format = url.searchParams.get('format');
  if (format === 'raw') return 'raw';
  if (format === 'car') return 'car';
  if (format !== null) return undefined;
  // Accept: the first trustless type listed wins (no q-value ranking needed for two types).
  const accept = (req.headers.accept ?? '').toLowerCase();
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim());
  for (const t of types) {
    if (t === RAW) return 'raw';
    if (t === CAR) return 'car';
  }
  return undefined;
}

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
  const cid = parseCid(m[1]!);
  if (!cid) return plain(res, 400, 'not a CID this gateway serves (sha2-256, raw or dag-pb)');
  const kind = wants(req, url);
  if (!kind) return plain(res, 406, `a trustless gateway: ask for ${RAW} or ${CAR} (or ?format=raw|car)`);
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
  const common = {
    'x-ipfs-path': `/ipfs/${cid}`,
    'x-content-type-options': 'nosniff',
    'cache-control': 'public, max-age=29030400, immutable',
    vary: 'Accept',
  };

  // STORAGE.md § Serving a store, "What it serves": only blocks a pin reaches. An unpinned
  // block is an add in progress, an import's leftover or garbage: not this site's to publish.
  if (!(await store.isPinnedBlock(cid, { signal }))) return plain(res, 404, `block ${cid} is not in this store`);
  if (kind === 'raw') {
    const bytes = await store.getBlock(cid, { signal });
    if (bytes === undefined) return plain(res, 404, `block ${cid} is not in this store`);
    try {
      verifyBlock(cid, bytes);
    } catch {
      return plain(res, 500, `the stored copy of block ${cid} is damaged`);
    }
    res.writeHead(200, {
      ...common,
      'content-type': RAW,
      'content-length': String(bytes.length),
      'content-disposition': `attachment; filename="${cid}.bin"`,
      etag: `"${cid}.raw"`,
    });
    res.end(req.method === 'HEAD' ? undefined : bytes);
    return;
  }

  // CAR: refuse before the 200 when the root is absent; damage found mid-stream aborts the
  // connection, so a client never mistakes a cut CAR for a whole one.
  if (!(await store.hasBlock(cid))) return plain(res, 404, `block ${cid} is not in this store`);
  const scope = url.searchParams.get('dag-scope') === 'block' ? 'block' : 'all';
  res.writeHead(200, {
    ...common,
    'content-type': `${CAR}; version=1; order=dfs; dups=n`,
    'content-disposition': `attachment; filename="${cid}.car"`,
    etag: `"${cid}.car.${scope}"`,
  });
  if (req.method === 'HEAD') return void res.end();
  const blocks = walkDag(cid, (c) => store.getBlock(c, { signal }), new Set(), { scope });
  for await (const chunk of carBytes([cid], blocks)) {
    if (!res.write(chunk)) await new Promise<void>((r) => res.once('drain', r).once('close', r));
    signal.throwIfAborted();
  }
  res.end();
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
  server.setTimeout(STALL_MS); // no 'timeout' listener: Node destroys the socket
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
