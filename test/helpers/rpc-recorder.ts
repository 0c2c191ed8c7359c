/**
 * A JSON-RPC pass-through that records the methods a client sent, in order, so a test can
 * wait for an event of the client's own ("it sent its transaction and is now polling for
 * the receipt") instead of sleeping and hoping it got there (docs/TESTING.md § 2).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RpcRecorder {
  url: string;
  /** Every method received so far (batch entries one by one), in arrival order. */
  methods: string[];
  /** True once these methods were received in this order (others may come between). */
  seenInOrder(...order: string[]): boolean;
  close(): Promise<void>;
}

export interface RpcRecorderOptions {
  /**
   * Leave a request unanswered (the connection stays open, as a wedged node does) when this
   * returns true for one of its methods; `seen` counts that method's earlier requests.
   */
  hang?: (method: string, seen: number) => boolean;
}

export async function rpcRecorder(target: string, opts: RpcRecorderOptions = {}): Promise<RpcRecorder> {
  const methods: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      let hang = false;
      try {
        const j = JSON.parse(body.toString('utf8'));
        for (const m of Array.isArray(j) ? j : [j]) {
          const method = String(m?.method);
          const seen = methods.filter((x) => x === method).length;
          methods.push(method);
          if (opts.hang?.(method, seen)) hang = true;
        }
      } catch {
        methods.push('(unparsable)');
      }
      if (hang) return;
      try {
        const r = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(Buffer.from(await r.arrayBuffer()));
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    methods,
    seenInOrder(...order) {
      let i = -1;
      for (const m of order) {
        i = methods.indexOf(m, i + 1);
        if (i < 0) return false;
      }
      return true;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
