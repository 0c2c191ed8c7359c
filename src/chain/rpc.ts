/**
 * A bounded raw JSON-RPC client for the first contact with an endpoint. ethers' provider
 * retries network detection forever (and logs while doing it), so set-up goes through here.
 *
 * Why node:http and not the global fetch: fetch loads undici on its first use, which costs
 * several times a whole local round trip (measured ~10× a node:http request to anvil); a
 * command that talks to the chain once would pay it on every run. ethers itself uses
 * node:http, so nothing else loads undici.
 *
 * Several reads go in ONE request (a JSON-RPC batch, `rpcBatch`): connecting costs one
 * round trip however many set-up facts are needed (chain id, contract code, balance).
 */
import http from 'node:http';
import https from 'node:https';
import { UnavailableError } from '../errors.js';
import { endpointLabel } from './transport.js';

export interface RpcRequest {
  method: string;
  params?: unknown[];
}

/** An answer bigger than this is not a set-up answer (contract code is ≤ 24 KiB, EIP-170). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** A batch is a handful of set-up reads; more is a bug in the caller. */
const MAX_BATCH = 32;

function unreachable(rpcUrl: string, cause: unknown): UnavailableError {
  // The endpoint as endpointLabel shows it: credentials and API keys in the URL are secrets.
  return new UnavailableError(`chain endpoint ${endpointLabel(rpcUrl)} unreachable`, {
    // The user may have passed --rpc-url already: say what to check, not "pass --rpc-url".
    hint: `check that a node answers at ${endpointLabel(rpcUrl)} (--rpc-url / EMR_RPC_URL); for the embedded chain run \`emr devnet up\``,
    cause,
  });
}

function notJsonRpc(rpcUrl: string, status: number | undefined, cause?: unknown): UnavailableError {
  return new UnavailableError(`chain endpoint ${endpointLabel(rpcUrl)} did not answer JSON-RPC (HTTP ${status ?? '?'})`, {
    hint: 'check --rpc-url: it must be an EVM JSON-RPC endpoint',
    cause,
  });
}

/** POSTs `body` and returns the parsed JSON answer; bounded in time and size. */
function post(rpcUrl: string, body: string, timeoutMs: number): Promise<unknown> {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch (e) {
    return Promise.reject(unreachable(rpcUrl, e));
  }
  const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
  if (!mod) return Promise.reject(unreachable(rpcUrl, new Error(`unsupported protocol ${url.protocol}`)));
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy();
            reject(notJsonRpc(rpcUrl, res.statusCode, new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`)));
            return;
          }
          parts.push(d);
        });
        res.on('error', (e) => reject(unreachable(rpcUrl, e)));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
          } catch (e) {
            reject(notJsonRpc(rpcUrl, res.statusCode, e));
          }
        });
      },
    );
    // `timeout` above is idle time; this bounds the whole exchange.
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(unreachable(rpcUrl, e)));
    req.end(body);
  });
}

function refused(method: string, error: { message?: unknown }): UnavailableError {
  return new UnavailableError(`chain endpoint refused ${method}: ${String(error.message).slice(0, 120)}`, { hint: 'check --rpc-url' });
}

export async function rpcCall<T = unknown>(rpcUrl: string, method: string, params: unknown[] = [], timeoutMs = 5_000): Promise<T> {
  const body = (await post(rpcUrl, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), timeoutMs)) as {
    result?: T;
    error?: { message?: unknown };
  } | null;
  if (!body || typeof body !== 'object') throw notJsonRpc(rpcUrl, 200);
  if (body.error) throw refused(method, body.error);
  return body.result as T;
}

/**
 * Several reads in one HTTP request (a JSON-RPC 2.0 batch); answers are matched by id, in
 * the order asked. An endpoint that does not do batches (a bare object answer) or leaves an
 * answer out fails as UNAVAILABLE rather than being guessed around.
 */
export async function rpcBatch(rpcUrl: string, calls: readonly RpcRequest[], timeoutMs = 5_000): Promise<unknown[]> {
  if (calls.length === 0) return [];
  if (calls.length > MAX_BATCH) throw new RangeError(`rpcBatch: ${calls.length} calls (max ${MAX_BATCH})`);
  const payload = calls.map((c, i) => ({ jsonrpc: '2.0', id: i + 1, method: c.method, params: c.params ?? [] }));
  const body = await post(rpcUrl, JSON.stringify(payload), timeoutMs);
  if (!Array.isArray(body)) {
    const err = (body as { error?: { message?: unknown } } | null)?.error;
    if (err) throw refused(calls.map((c) => c.method).join('+'), err);
    throw notJsonRpc(rpcUrl, 200, new Error('the answer to a batch is not an array'));
  }
  const byId = new Map<number, { result?: unknown; error?: { message?: unknown } }>();
  for (const a of body.slice(0, MAX_BATCH)) {
    if (a && typeof a === 'object' && typeof (a as { id?: unknown }).id === 'number') byId.set((a as { id: number }).id, a as never);
  }
  return calls.map((c, i) => {
    const a = byId.get(i + 1);
    if (!a) throw notJsonRpc(rpcUrl, 200, new Error(`no answer to ${c.method} in the batch`));
    if (a.error) throw refused(c.method, a.error);
    return a.result;
  });
}
