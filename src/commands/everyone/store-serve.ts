/**
 * `emr store serve [--listen <host:port>]` (docs/STORAGE.md § "Serving a store"): this
 * site's embedded store as a read-only Trustless Gateway until SIGINT/SIGTERM. Once
 * listening it prints the URL (`--json`: exactly one document `{url}`), then nothing more.
 */
import { defineCommand } from '../spec.js';

export const storeServe = defineCommand({
  name: 'serve',
  summary: 'serve this home’s embedded store read-only as an IPFS Trustless Gateway',
  options: [{ flags: '--listen <host:port>', description: 'address to listen on (port 0: any free port)', default: '127.0.0.1:8080' }],
  examples: ['emr store serve', 'emr store serve --listen 0.0.0.0:8080 --json'],
  async run(ctx, _args, opts: { listen: string }) {
    const { serveStoreFlow } = await import('../../ops/serve-store.js');
    return { data: await serveStoreFlow(ctx, opts.listen), printed: true };
  },
});
