/**
 * The door of the local web view (docs/UI.md § 3): who may talk to the server at all.
 *
 * - Host (§ 3.1): the request must name this server (`127.0.0.1:<port>`, `localhost:<port>`,
 *   `[::1]:<port>`, or the explicit --listen host): a DNS-rebinding page whose name now points
 *   at 127.0.0.1 still sends its own name, and is refused.
 * - Origin (§ 3.1): any request that carries an Origin must carry ours; a state-changing
 *   request must carry one (browsers always send it on POST), and Sec-Fetch-Site, when sent,
 *   must say same-origin.
 * - Token (§ 3.2): the URL printed at start holds a one-time token; the first visit trades it
 *   for a session cookie (HttpOnly, SameSite=Strict) and the token is spent.
 * - CSRF (§ 3.3): every state-changing request carries the session's CSRF token as a form
 *   field. Comparisons are constant-time (hashes of equal length).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';

export const COOKIE = 'emr_ui';

/** Why a request is refused (403); the message is shown to the person, never a secret. */
export class Refused extends Error {}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
/** Constant-time equality of two strings of any length (compares their SHA-256). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

const token = () => randomBytes(32).toString('base64url');

export class Gate {
  /** The one-time login token; null once spent. */
  private loginToken: string | null = token();
  private session: { id: string; csrf: string } | null = null;
  readonly hosts: ReadonlySet<string>;

  constructor(
    host: string,
    readonly port: number,
  ) {
    const loopback = ['127.0.0.1', 'localhost', '[::1]'];
    // A wildcard bind (0.0.0.0, ::) answers on every interface: its loopback names (the URL
    // printed uses 127.0.0.1) and this machine's own addresses, and still no other name.
    const names = isLoopback(host)
      ? loopback
      : host === '0.0.0.0' || host === '::'
        ? [...loopback, ...localAddresses()]
        : [host.includes(':') ? `[${host}]` : host];
    this.hosts = new Set(names.map((h) => `${h}:${port}`.toLowerCase()));
  }

  /** The URL printed once at start: it carries the token. */
  loginUrl(host: string): string {
    const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    return `http://${h}:${this.port}/login?token=${this.loginToken}`;
  }

  /** Host and Origin (§ 3.1); throws Refused. `changes`: the request may change state. */
  checkOrigin(req: IncomingMessage, changes: boolean): void {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!this.hosts.has(host)) throw new Refused('this server answers only to its own address (unexpected Host header)');
    const origin = req.headers.origin;
    if (origin !== undefined && !this.hosts.has(origin.toLowerCase().replace(/^http:\/\//, '')))
      throw new Refused('a request from another site (foreign Origin) is refused');
    if (origin !== undefined && !/^http:\/\//i.test(origin)) throw new Refused('a request from another site (foreign Origin) is refused');
    if (changes && origin === undefined) throw new Refused('a change without an Origin header is refused');
    const site = req.headers['sec-fetch-site'];
    if (changes && site !== undefined && site !== 'same-origin') throw new Refused('a change requested by another site is refused');
  }

  /** `/login?token=…` (§ 3.2): the session cookie's value, or Refused. The token works once. */
  login(given: string | null): { cookie: string } {
    if (!given || !this.loginToken || !sameSecret(given, this.loginToken))
      throw new Refused('this link is not valid (each link printed by `emr ui` opens one browser session, once)');
    this.loginToken = null;
    this.session = { id: token(), csrf: token() };
    return { cookie: `${COOKIE}=${this.session.id}; HttpOnly; SameSite=Strict; Path=/` };
  }

  /** The CSRF token of the request's session, or Refused when it has none (§ 3.2). */
  csrfOf(req: IncomingMessage): string {
    const id = cookieValue(req.headers.cookie, COOKIE);
    if (!this.session || id === undefined || !sameSecret(id, this.session.id))
      throw new Refused('no session: open the link `emr ui` printed in the terminal');
    return this.session.csrf;
  }

  /** A state-changing request's form field `csrf` (§ 3.3). */
  checkCsrf(req: IncomingMessage, field: string | null | undefined): void {
    const csrf = this.csrfOf(req);
    if (typeof field !== 'string' || !sameSecret(field, csrf))
      throw new Refused('the form’s CSRF token is missing or wrong; reload the page');
  }
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((a) => (a.family === 'IPv6' ? `[${a.address}]` : a.address));
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
