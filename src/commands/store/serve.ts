/**
 * `emr store serve [--listen <host:port>]` (docs/STORAGE.md § "Serving a store"): this
 * site's embedded store as a read-only Trustless Gateway until SIGINT/SIGTERM. Once
 * listening it prints the URL (`--json`: exactly one document `{url}`), then nothing more.
 */
import { UsageError } from '../../errors.js';
import { toJson } from '../../output.js';
import { defineCommand } from '../spec.js';

export const storeServe = defineCommand({
  name: 'serve',
  summary: 'serve this home’s embedded store read-only as an IPFS Trustless Gateway',
  options: [{ flags: '--listen <host:port>', description: 'address to listen on (port 0: any free port)', default: '127.0.0.1:8080' }],
  examples: ['emr store serve', 'emr store serve --listen 0.0.0.0:8080 --json'],
  async run(ctx, _args, opts: { listen: string }) {
    if (ctx.globals.ipfsApi ?? ctx.config.get('ipfsApi')) {
      throw new UsageError('store serve serves the embedded store, and --ipfs-api names a Kubo node', {
        hint: 'a Kubo node already is a gateway (its Gateway address); drop --ipfs-api to serve this home’s store',
      });
    }
    const { parseListen, serveStore } = await import('../../ipfs/serve.js');
    const listen = parseListen(opts.listen);
    const { openEmbeddedStore } = await import('../../ipfs/embedded.js');
    const { join } = await import('node:path');
    const store = await openEmbeddedStore({ dir: join(ctx.home, 'ipfs') });
    ctx.onClose(() => store.close());
    const stopped = new Promise<string>((resolve) => {
      const on = (sig: string) => () => resolve(sig);
      const int = on('SIGINT');
      const term = on('SIGTERM');
      process.once('SIGINT', int);
      process.once('SIGTERM', term);
      ctx.onClose(() => {
        process.off('SIGINT', int);
        process.off('SIGTERM', term);
      });
    });
    const gw = await serveStore(store, listen);
    ctx.onClose(() => gw.close());
    if (ctx.json) ctx.io.stdout.write(toJson({ ok: true, data: { url: gw.url } }) + '\n');
    else ctx.io.stdout.write(`serving the store at ${gw.url} (read-only Trustless Gateway); Ctrl-C to stop\n`);
    const signal = await stopped;
    return { data: { url: gw.url, stopped: true, signal }, printed: true };
  },
});
