/**
 * The HTTP side of `emr ui` (docs/UI.md § 3): node:http, no framework. Every response carries
 * the same headers (a Content-Security-Policy of `default-src 'self'` with no inline script,
 * no framing, no referrer to another site, no caching); every request passes the Gate (Host, Origin, session
 * cookie, CSRF) before a route sees it; bodies are bounded before they are read.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { packageRoot } from '../chain/artifacts.js';
import { Gate, Refused } from './gate.js';
import { Html } from './html.js';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chrome sends `Origin: null` on a form POST, which the Gate refuses.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** A url-encoded form (a button, a grant) and a multipart one (a file upload). */
const MAX_FORM_BYTES = 256 * 1024;
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

export interface UiRequest {
  method: 'GET' | 'POST';
  path: string;
  query: URLSearchParams;
  /** The session's CSRF token, for the forms the page renders. */
  csrf: string;
  /** A POST's fields (the CSRF field already checked). */
  form?: FormData;
}

export type UiReply =
  | { kind: 'page'; status?: number; title: string; body: Html }
  | { kind: 'redirect'; location: string }
  | { kind: 'json'; value: unknown };

export type Route = (r: UiRequest) => Promise<UiReply | undefined>;

/** The static files (src/ui/static: a stylesheet and one progressive-enhancement script), read once. */
function loadStatic(): Map<string, { type: string; body: Buffer }> {
  const dir = join(packageRoot(import.meta.url), 'src', 'ui', 'static');
  return new Map([
    ['/static/ui.css', { type: 'text/css; charset=utf-8', body: readFileSync(join(dir, 'ui.css')) }],
    ['/static/ui.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(join(dir, 'ui.js')) }],
  ]);
}

export interface UiServer {
  url: string;
  gate: Gate;
  close(): Promise<void>;
}

export async function startUiServer(
  listen: { host: string; port: number },
  route: Route,
  render: (reply: Extract<UiReply, { kind: 'page' }>, csrf: string | null) => string,
): Promise<UiServer> {
  const statics = loadStatic();
  let gate: Gate | undefined;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error');
      else res.destroy();
    });
  });
  server.maxConnections = 64;
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const g = gate!;
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST')
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
    const changes = method === 'POST';
    let csrf: string | null = null;
    try {
      g.checkOrigin(req, changes);
      if ((req.url ?? '').length > 4096) throw new Refused('URL too long');
      const url = new URL(req.url ?? '/', 'http://ui.invalid');
      const asset = statics.get(url.pathname);
      if (asset && !changes) return send(res, 200, asset.type, asset.body);
      if (url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
      if (url.pathname === '/login' && !changes) {
        const { cookie } = g.login(url.searchParams.get('token'));
        res.setHeader('set-cookie', cookie);
        return redirect(res, '/');
      }
      csrf = g.csrfOf(req);
      let form: FormData | undefined;
      if (changes) {
        form = await readForm(req);
        const field = form.get('csrf');
        g.checkCsrf(req, typeof field === 'string' ? field : null);
      }
      const reply = await route({ method: changes ? 'POST' : 'GET', path: url.pathname, query: url.searchParams, csrf, form });
      if (!reply)
        return page(res, { kind: 'page', status: 404, title: 'Not found', body: new Html('<p>There is no such page.</p>') }, csrf);
      if (reply.kind === 'redirect') return redirect(res, reply.location);
      if (reply.kind === 'json') return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(reply.value));
      return page(res, reply, csrf);
    } catch (e) {
      if (e instanceof Refused) {
        req.resume();
        return page(res, { kind: 'page', status: 403, title: 'Refused', body: refusedBody(e.message) }, null);
      }
      throw e;
    }
  }

  function page(res: ServerResponse, reply: Extract<UiReply, { kind: 'page' }>, csrf: string | null): void {
    send(res, reply.status ?? 200, 'text/html; charset=utf-8', render(reply, csrf));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : listen.port;
  gate = new Gate(listen.host, port);
  return {
    url: gate.loginUrl(listen.host),
    gate,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function refusedBody(message: string): Html {
  const text = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return new Html(`<p class="error" role="alert">${text}</p>`);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location, 'content-length': 0 });
  res.end();
}

/** A POST body, bounded by its type, parsed by the platform's own form parser (undici). */
async function readForm(req: IncomingMessage): Promise<FormData> {
  const type = req.headers['content-type'] ?? '';
  const multipart = /^multipart\/form-data;/i.test(type);
  if (!multipart && !/^application\/x-www-form-urlencoded\b/i.test(type)) throw new Refused('a form was expected');
  const limit = multipart ? MAX_UPLOAD_BYTES : MAX_FORM_BYTES;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw new Refused(`the form is larger than ${limit / 1024 / 1024} MiB`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new Refused(`the form is larger than ${limit / 1024 / 1024} MiB`);
    chunks.push(c);
  }
  try {
    return await new Response(Buffer.concat(chunks), { headers: { 'content-type': type } }).formData();
  } catch {
    throw new Refused('the form could not be read');
  }
}
