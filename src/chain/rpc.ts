/**
 * A bounded raw JSON-RPC probe. ethers' provider retries network detection forever
 * (and logs while doing it), so the first contact with an endpoint goes through here.
 */
import { UnavailableError } from '../errors.js';

export async function rpcCall<T = unknown>(
  rpcUrl: string,
  method: string,
  params: unknown[] = [],
  timeoutMs = 5_000,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new UnavailableError(`chain endpoint ${rpcUrl} unreachable`, {
      // The user may have passed --rpc-url already: say what to check, not "pass --rpc-url".
      hint: `check that a node answers at ${rpcUrl} (--rpc-url / EMR_RPC_URL); for the embedded chain run \`emr devnet up\``,
      cause: e,
    });
  }
  let body: { result?: T; error?: { message?: string } };
  try {
    body = (await res.json()) as typeof body;
  } catch (e) {
    throw new UnavailableError(`chain endpoint ${rpcUrl} did not answer JSON-RPC (HTTP ${res.status})`, {
      hint: 'check --rpc-url: it must be an EVM JSON-RPC endpoint',
      cause: e,
    });
  }
  if (body.error) {
    throw new UnavailableError(`chain endpoint refused ${method}: ${String(body.error.message).slice(0, 120)}`, {
      hint: 'check --rpc-url',
    });
  }
  return body.result as T;
}
