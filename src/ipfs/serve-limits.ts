/**
 * Connection admission for `emr store serve` (docs/STORAGE.md § Serving a store,
 * "Slow clients"). Threat (issue 20 § 4): 64 connections that each drip a header line
 * every few seconds filled Node's `maxConnections`, and every other client was refused for
 * as long as the drip lasted (75 s measured, Node checks `headersTimeout` only every 30 s).
 *
 * Choice: the server admits every connection itself instead of letting Node refuse the
 * 65th, and
 *  - a client (an IPv4 address, or an IPv6 /64) holds at most MAX_PER_CLIENT connections:
 *    a further one is closed at once;
 *  - when MAX_CONNECTIONS are open, a new connection takes the place of the *idle*
 *    connection (no request being answered: still sending headers, or kept alive) that
 *    has waited longest, from the client holding the most connections; only when every
 *    connection is busy answering is the new one closed;
 *  - headers MUST be complete within HEADERS_MS of the connection (or of the previous
 *    answer on a kept-alive connection), checked by a timer per connection (Node's own
 *    `headersTimeout` is only looked at every `connectionsCheckingInterval`).
 * So a slow client can hold its own few slots but never the last one a new client needs.
 */
import type { Socket } from 'node:net';

/** Connections open at once. */
export const MAX_CONNECTIONS = 64;
/** Connections one client (address, or IPv6 /64) may hold. */
export const MAX_PER_CLIENT = 8;
/** Time to send a request's headers. */
export const HEADERS_MS = 10_000;

interface Conn {
  sock: Socket;
  client: string;
  /** Requests being answered on it now. */
  busy: number;
  /** When it last became idle (connected, or its last answer ended). */
  idleSince: number;
  timer?: NodeJS.Timeout;
}

/** The client a socket counts against: its IPv4 address, or the /64 of an IPv6 one. */
export function clientOf(sock: Socket): string {
  const a = (sock.remoteAddress ?? '').replace(/^::ffff:/, '');
  if (!a.includes(':')) return a;
  const full = a.includes('::') ? expand(a) : a.split(':');
  return `${full.slice(0, 4).join(':')}::/64`;
}

function expand(a: string): string[] {
  const [head, tail] = a.split('::') as [string, string];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
}

export interface Admission {
  /** Called for every new socket (the server's 'connection' event). */
  admit(sock: Socket): void;
  /** A request's headers arrived on `sock` ('request' event); `done` when its answer ends. */
  requestStarted(sock: Socket): () => void;
}

export function admission(limits = { maxConnections: MAX_CONNECTIONS, maxPerClient: MAX_PER_CLIENT, headersMs: HEADERS_MS }): Admission {
  const conns = new Map<Socket, Conn>();
  const perClient = new Map<string, number>();

  function waitForHeaders(c: Conn): void {
    clearTimeout(c.timer);
    c.idleSince = Date.now();
    c.timer = setTimeout(() => c.sock.destroy(), limits.headersMs);
    c.timer.unref();
  }

  function drop(c: Conn): void {
    clearTimeout(c.timer);
    if (!conns.delete(c.sock)) return;
    const n = (perClient.get(c.client) ?? 1) - 1;
    if (n <= 0) perClient.delete(c.client);
    else perClient.set(c.client, n);
  }

  /** The idle connection to give up for a newcomer: oldest idle of the client holding most. */
  function victim(): Conn | undefined {
    let best: Conn | undefined;
    for (const c of conns.values()) {
      if (c.busy > 0) continue;
      if (
        !best ||
        perClient.get(c.client)! > perClient.get(best.client)! ||
        (perClient.get(c.client) === perClient.get(best.client) && c.idleSince < best.idleSince)
      )
        best = c;
    }
    return best;
  }

  return {
    admit(sock) {
      const client = clientOf(sock);
      if ((perClient.get(client) ?? 0) >= limits.maxPerClient) return void sock.destroy();
      if (conns.size >= limits.maxConnections) {
        const v = victim();
        if (!v) return void sock.destroy();
        drop(v);
        v.sock.destroy();
      }
      const c: Conn = { sock, client, busy: 0, idleSince: Date.now() };
      conns.set(sock, c);
      perClient.set(client, (perClient.get(client) ?? 0) + 1);
      sock.once('close', () => drop(c));
      waitForHeaders(c);
    },
    requestStarted(sock) {
      const c = conns.get(sock);
      if (!c) return () => {};
      c.busy++;
      clearTimeout(c.timer);
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        c.busy--;
        if (c.busy === 0 && conns.has(sock)) waitForHeaders(c);
      };
    },
  };
}
