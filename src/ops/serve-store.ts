/**
 * `emr store serve` (docs/STORAGE.md § "Serving"): this home's embedded store as a read-only
 * Trustless Gateway until SIGINT/SIGTERM. The address goes to stdout first (a script reads
 * it), then the run waits for the signal and ends normally.
 */
import { join } from 'node:path';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { openEmbeddedStore } from '../ipfs/embedded.js';
import { parseListen, serveStore, testStallMs } from '../ipfs/serve.js';
import { toJson } from '../output.js';
import { untilSignal } from '../session/signal.js';

export async function serveStoreFlow(ctx: Context, listenArg: string): Promise<{ url: string; stopped: true; signal: string }> {
  if (ctx.globals.ipfsApi ?? ctx.config.get('ipfsApi')) {
    throw new UsageError('store serve serves the embedded store, and --ipfs-api names a Kubo node', {
      hint: 'a Kubo node already is a gateway (its Gateway address); drop --ipfs-api to serve this home’s store',
    });
  }
  const listen = { ...parseListen(listenArg), stallMs: testStallMs(ctx.env) };
  const store = await openEmbeddedStore({ dir: join(ctx.home, 'ipfs') });
  ctx.onClose(() => store.close());
  const stopped = untilSignal(ctx);
  const gw = await serveStore(store, listen);
  ctx.onClose(() => gw.close());
  if (ctx.json) ctx.io.stdout.write(toJson({ ok: true, data: { url: gw.url } }) + '\n');
  else ctx.io.stdout.write(`serving the store at ${gw.url} (read-only Trustless Gateway); Ctrl-C to stop\n`);
  return { url: gw.url, stopped: true, signal: await stopped };
}
