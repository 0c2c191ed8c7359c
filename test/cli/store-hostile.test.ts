// Red team (issue 8's attacker, wave 3's store surface): a hostile client of `emr store
// serve` and a hostile CAR given to `emr store import`. Through the built binary and a real
// gateway process; the store is the real embedded one (docs/STORAGE.md § Serving a store,
// § CAR files). No chain is needed.

import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../src/ipfs/embedded.js';
import { tempHome } from '../helpers/cli.js';
import { type ServingSite, serveSite } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';

const t = tempHome();
let big: string;
let site: ServingSite;

beforeAll(async () => {
  // A 24 MiB record: more than loopback's socket buffers hold, so a CAR of it cannot be
  // handed to the kernel whole and the server must wait on its reader.
  const store = await openEmbeddedStore({ dir: join(t.home, 'ipfs') });
  try {
    big = (await store.addBytes(randomBytes(24 << 20))).cid;
  } finally {
    await store.close();
  }
  site = await serveSite(['--home', t.home]);
}, 60_000);

afterAll(async () => {
  await site?.stop();
});

/** Sockets the gateway process holds open (its listening socket, its connections). */
function socketsOf(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

/** Opens a raw connection, sends `request`, and never reads the answer. */
function stalledClient(url: string, request: string): Promise<{ sock: Socket }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname, () => {
      sock.write(request);
      sock.pause(); // never read: the server's writes stall once the socket buffers fill
      resolve({ sock });
    });
    sock.once('error', reject);
  });
}

describe('store serve against hostile clients (docs/STORAGE.md § Serving a store)', () => {
  it('a client that stops reading a CAR answer MUST lose its connection (a slot of the 64) after the send-stall bound', async () => {
    const before = socketsOf(site.pid);
    const c = await stalledClient(site.url, `GET /ipfs/${big}?format=car HTTP/1.1\r\nHost: gw\r\n\r\n`);
    try {
      await waitFor(() => socketsOf(site.pid) > before, { what: 'the gateway to take the connection' });
      // Before: the answer waited for the reader forever, holding the connection (one of
      // the 64 the gateway accepts: 64 such clients shut it for everyone). A paused client
      // cannot see the close itself, so the gateway's own sockets are counted.
      await waitFor(() => socketsOf(site.pid) <= before, {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: 'the gateway to drop a client that reads nothing',
      });
    } finally {
      c.sock.destroy();
    }
    // The gateway still answers others.
    const r = await fetch(`${site.url}/ipfs/${big}?format=raw&dag-scope=block`, { headers: { accept: 'application/vnd.ipld.raw' } });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
  }, 90_000);
});
