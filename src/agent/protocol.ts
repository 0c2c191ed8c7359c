/**
 * The key agent's files and wire format (docs/KEYSTORE.md § 6).
 *
 * Files, all in `<home>/agent/` (a 0700 directory owned by the user):
 *   agent.sock    the Unix socket, mode 0600
 *   agent.secret  32 random bytes (hex) made at each start, mode 0600: a client proves it
 *                 can read the user's files by sending it with every request
 *   agent.pid     `{"pid","start"}`, mode 0600: lets `agent stop` end an agent it cannot
 *                 talk to (src/agent/process.ts)
 *
 * One request per connection: a JSON line, then `bytes` raw bytes when the header says so
 * (key material travels as raw bytes so that both ends can zero it; a JSON string cannot
 * be wiped). The answer has the same shape. Everything is bounded: a header line of at
 * most 4 KiB, a payload of at most 64 bytes, 2 s per exchange.
 */

import type { Socket } from 'node:net';
import { join } from 'node:path';

export const MAX_HEADER = 4096;
export const MAX_PAYLOAD = 64;
export const EXCHANGE_MS = 2_000;
/** Bounds the number of profiles one agent holds. */
export const MAX_KEYS = 64;
/** `--timeout` bounds: at least 1 s, at most 24 h of idle time. */
export const MAX_IDLE_SECONDS = 24 * 3600;
export const DEFAULT_IDLE_SECONDS = 15 * 60;

export const agentDir = (home: string) => join(home, 'agent');
export const socketPath = (home: string) => join(agentDir(home), 'agent.sock');
export const secretPath = (home: string) => join(agentDir(home), 'agent.secret');
export const pidPath = (home: string) => join(agentDir(home), 'agent.pid');

export interface Header {
  [k: string]: unknown;
  bytes?: number;
}

export interface Frame {
  header: Header;
  payload: Buffer;
}

/**
 * Reads one frame from `sock`. The payload lands in a buffer from Buffer.alloc (never the
 * shared pool), so the caller can zero it; the receive chunks are zeroed as they are used.
 */
export function readFrame(sock: Socket): Promise<Frame> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let header: Header | null = null;
    let payload: Buffer | null = null;
    let filled = 0;
    const done = (err: Error | null, f?: Frame) => {
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onError);
      if (err) {
        payload?.fill(0);
        reject(err);
      } else resolve(f!);
    };
    const takePayload = (chunk: Buffer) => {
      const n = Math.min(chunk.length, payload!.length - filled);
      chunk.copy(payload!, filled, 0, n);
      filled += n;
      if (chunk.length > n) return done(new Error('trailing bytes after the payload'));
      if (filled === payload!.length) done(null, { header: header!, payload: payload! });
    };
    const onData = (chunk: Buffer) => {
      try {
        if (header) return takePayload(chunk);
        head = Buffer.concat([head, chunk]);
        chunk.fill(0);
        const nl = head.indexOf(0x0a);
        if (nl < 0) {
          if (head.length > MAX_HEADER) done(new Error('header line too long'));
          return;
        }
        if (nl > MAX_HEADER) return done(new Error('header line too long'));
        const parsed = JSON.parse(head.subarray(0, nl).toString('utf8')) as unknown;
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return done(new Error('header is not an object'));
        header = parsed as Header;
        const bytes = header.bytes ?? 0;
        if (!Number.isInteger(bytes) || bytes < 0 || bytes > MAX_PAYLOAD) return done(new Error('bad payload length'));
        payload = Buffer.alloc(bytes);
        const rest = head.subarray(nl + 1);
        const copy = Buffer.from(rest);
        head.fill(0);
        if (bytes === 0) {
          if (copy.length) return done(new Error('trailing bytes after the header'));
          return done(null, { header, payload });
        }
        if (copy.length) takePayload(copy);
        copy.fill(0);
      } catch (e) {
        done(e as Error);
      }
    };
    const onEnd = () => done(new Error('connection closed mid-frame'));
    const onError = (e: Error) => done(e);
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('error', onError);
  });
}

/** Writes one frame; the caller zeroes `payload` afterwards. */
export function writeFrame(sock: Socket, header: Header, payload?: Uint8Array): void {
  const h = Buffer.from(JSON.stringify({ ...header, bytes: payload?.length ?? 0 }) + '\n', 'utf8');
  const out = Buffer.alloc(h.length + (payload?.length ?? 0));
  h.copy(out, 0);
  if (payload) out.set(payload, h.length);
  // The socket may keep a reference to `out` until it is flushed: zero it only then.
  sock.write(out, () => out.fill(0));
}

/** `15m`, `30s`, `2h`, or plain seconds → seconds; null when unreadable or out of bounds. */
export function parseIdle(text: string): number | null {
  const m = /^(\d{1,6})\s*([smh]?)$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
  return n >= 1 && n <= MAX_IDLE_SECONDS ? n : null;
}
