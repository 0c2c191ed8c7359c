/**
 * Daemons bind their own port (issue 9): `startAnvil` with port 0 lets anvil bind one and
 * reads it back, so parallel test files (pool: 'forks') and devnets never race for a port
 * that freePort() closed before anvil bound it.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { type StartedAnvil, startAnvil } from '../../src/chain/anvil.js';
import { UnavailableError } from '../../src/errors.js';
import { processCommandLine } from '../../src/lock.js';

const started: StartedAnvil[] = [];
afterAll(async () => {
  for (const a of started) {
    if (a.child.exitCode !== null) continue;
    const exited = new Promise((r) => a.child.once('exit', r));
    a.child.kill('SIGTERM');
    await exited;
  }
});

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('startAnvil', () => {
  it('port 0: anvil binds the port itself (--port 0) and the one it bound is read back and answers', async () => {
    const [a, b] = await Promise.all([startAnvil({ port: 0 }), startAnvil({ port: 0 })]);
    started.push(a, b);
    expect(processCommandLine(a.child.pid!)).toMatch(/ --port 0( |$)/);
    expect(a.port).toBeGreaterThan(0);
    expect(a.port).not.toBe(b.port);
    expect(a.url).toBe(`http://127.0.0.1:${a.port}`);
    expect(a.chainId).toBe(31337);
    const res = await fetch(b.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}',
    });
    expect(((await res.json()) as { result: string }).result).toMatch(/^0x/);
  });

  it('a port another process holds: UNAVAILABLE naming the port, no anvil left behind', async () => {
    const { server, port } = await listen();
    try {
      const err = await startAnvil({ port }).catch((e) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err.message).toContain(`port ${port} is taken`);
    } finally {
      server.close();
    }
  });
});
