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
  /**
   * A lying endpoint (issue 20 point 6): the answer to each request (batch entries one by
   * one) passes through this, which may return another. The request is what the client sent.
   */
  rewrite?: (request: { method: string; params?: unknown[] }, response: { result?: unknown; error?: unknown }) => unknown;
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
        let out: Buffer = Buffer.from(await r.arrayBuffer());
        if (opts.rewrite) out = rewriteBody(body, out, opts.rewrite);
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(out);
      } catch (e) {
        if (process.env.HC_DBG) console.error('recorder', e);
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

/** Pairs each answer with its request by id and lets `rewrite` replace it. */
function rewriteBody(reqBody: Buffer, resBody: Buffer, rewrite: NonNullable<RpcRecorderOptions['rewrite']>): Buffer {
  let reqs: unknown;
  let ress: unknown;
  try {
    reqs = JSON.parse(reqBody.toString('utf8'));
    ress = JSON.parse(resBody.toString('utf8'));
  } catch {
    return resBody;
  }
  const reqList = (Array.isArray(reqs) ? reqs : [reqs]) as Array<{ id?: unknown; method: string; params?: unknown[] }>;
  const one = (res: { id?: unknown }) => {
    const req = reqList.find((q) => q.id === res.id);
    return req ? rewrite(req, res as { result?: unknown }) : res;
  };
  const out = Array.isArray(ress) ? ress.map(one) : one(ress as { id?: unknown });
  return Buffer.from(JSON.stringify(out));
}
