/**
 * A JSON-RPC pass-through that refuses `eth_getLogs` over more than `maxBlocks` blocks, the
 * way public endpoints do (a JSON-RPC error answer, code -32005, as Infura words it), and
 * records every `eth_getLogs` range it was asked (docs/CONTRACT.md § Reading logs).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LogWindowProxy {
  url: string;
  /** Every eth_getLogs asked, with its resolved range and whether it was refused. */
  ranges: { from: number; to: number; refused: boolean }[];
  /** The method of every request passed on or refused, in order. */
  methods: string[];
  close(): Promise<void>;
}

async function upstream(target: string, body: unknown): Promise<unknown> {
  const r = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return r.json();
}

export async function logWindowProxy(target: string, maxBlocks: number): Promise<LogWindowProxy> {
  const ranges: LogWindowProxy['ranges'] = [];
  const methods: string[] = [];
  const blockOf = async (tag: unknown): Promise<number> => {
    if (typeof tag === 'string' && tag.startsWith('0x')) return Number(BigInt(tag));
    const head = (await upstream(target, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] })) as { result: string };
    return tag === 'earliest' ? 0 : Number(BigInt(head.result));
  };
  const answer = async (m: { id?: unknown; method?: string; params?: unknown[] }): Promise<unknown> => {
    methods.push(String(m.method));
    if (m.method === 'eth_getLogs') {
      const f = (m.params?.[0] ?? {}) as { fromBlock?: unknown; toBlock?: unknown };
      const from = await blockOf(f.fromBlock ?? 'latest');
      const to = await blockOf(f.toBlock ?? 'latest');
      const refused = to - from + 1 > maxBlocks;
      ranges.push({ from, to, refused });
      if (refused) {
        return { jsonrpc: '2.0', id: m.id, error: { code: -32005, message: `query exceeds max block range ${maxBlocks}` } };
      }
    }
    return upstream(target, m);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', async () => {
      try {
        const j = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const out = Array.isArray(j) ? await Promise.all(j.map(answer)) : await answer(j);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out));
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ranges,
    methods,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
