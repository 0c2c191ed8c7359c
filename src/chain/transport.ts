/**
 * The HTTP transport under the ethers provider (docs/CLI.md § Global behaviour:
 * `EMR_RPC_TIMEOUT`). Built from an ethers FetchRequest rather than a URL string because a
 * string gets ethers' default of 300 s per request: a node that accepts the connection and
 * then never answers (stopped, wedged, hostile) would hold `grant`, `fetch`, `record add` …
 * for five minutes per request. Here each request is bounded as a whole (not only while the
 * socket is idle, so a node trickling a byte at a time cannot stretch it either), and its
 * expiry is an UnavailableError (exit 6) naming the endpoint, thrown from the transport
 * itself so that every read and write path reports it the same way; so is a node that
 * went away (connection refused or cut).
 */
import type { FetchGetUrlFunc } from 'ethers';
import { FetchRequest, isError } from 'ethers/utils';
import { UnavailableError } from '../errors.js';
import { safeText, urlLabel } from '../output.js';

/** How long one JSON-RPC request may take when EMR_RPC_TIMEOUT is not set. */
export const DEFAULT_RPC_TIMEOUT_MS = 30_000;

/**
 * The endpoint as a message may show it: scheme, host and port only. Providers put API keys
 * in the path (…/v3/<key>) or the user part, and secrets never reach errors; the rest is
 * escaped and truncated because the URL came from config or the environment.
 */
export function endpointLabel(rpcUrl: string): string {
  return urlLabel(rpcUrl, 'the chain endpoint');
}

export function rpcTimeoutError(rpcUrl: string, timeoutMs: number, cause?: unknown): UnavailableError {
  const secs = Math.round(timeoutMs / 100) / 10;
  return new UnavailableError(`chain endpoint ${endpointLabel(rpcUrl)} did not answer within ${secs} s`, {
    hint:
      'check that the node is running and not stuck (the embedded devnet: `emr devnet status`, then `emr devnet up`); ' +
      'a slow node needs EMR_RPC_TIMEOUT=<seconds>',
    cause,
  });
}

/** Socket-level failures of a request: the node is down, gone or cut the connection. */
const DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * The node went away mid-command (killed, restarted, network gone): UNAVAILABLE naming the
 * endpoint, with the way back (docs/DEVNET.md § 2.2).
 */
export function rpcDownError(rpcUrl: string, code: string, cause?: unknown): UnavailableError {
  return new UnavailableError(`chain endpoint ${endpointLabel(rpcUrl)} unreachable (${safeText(code.slice(0, 32))})`, {
    hint: 'check that the node is running (--rpc-url / EMR_RPC_URL); for the embedded devnet run `emr devnet up` (it keeps its state)',
    cause,
  });
}

/** A FetchRequest for `rpcUrl` whose every request ends within `timeoutMs`. */
export function boundedRequest(rpcUrl: string, timeoutMs: number): FetchRequest {
  const req = new FetchRequest(rpcUrl);
  // ethers' own bound: idle time on the socket (and the deadline across its retries).
  req.timeout = timeoutMs;
  const base = FetchRequest.createGetUrlFunc();
  const getUrl: FetchGetUrlFunc = async (r, signal) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(rpcTimeoutError(rpcUrl, timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([base(r, signal), expired]);
    } catch (e) {
      if (isError(e, 'TIMEOUT')) throw rpcTimeoutError(rpcUrl, timeoutMs, e);
      const code = (e as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && DOWN.has(code)) throw rpcDownError(rpcUrl, code, e);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };
  // Copied to every clone ethers makes of the request (one per JSON-RPC batch).
  req.getUrlFunc = getUrl;
  return req;
}
