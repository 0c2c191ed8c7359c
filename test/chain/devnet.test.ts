import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { connectChain } from '../../src/chain/client.js';
import { devnetDown, devnetStatus, devnetUp, fundAccount } from '../../src/chain/devnet.js';
import { register } from '../../src/chain/register.js';
import { whois } from '../../src/chain/whois.js';
import { UsageError } from '../../src/errors.js';
import { processCommandLine } from '../../src/lock.js';
import { X25519_RECIPIENT } from '../helpers/world.js';

const home = mkdtempSync(join(tmpdir(), 'emr-devnet-'));
afterAll(async () => {
  await devnetDown({ home }).catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
});

describe('devnet lifecycle', () => {
  it('up, up again, status, down, up: chain state and contract survive', async () => {
    expect(await devnetStatus({ home })).toMatchObject({ running: false, contract: null });
    const admin = Wallet.createRandom();
    const user = Wallet.createRandom();
    const first = await devnetUp({ home, signer: admin, fund: [user.address] });
    expect(first).toMatchObject({ running: true, chainId: 31337 });
    expect(first.contract).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(JSON.parse(readFileSync(join(home, 'devnet', 'devnet.json'), 'utf8'))).toMatchObject({
      pid: first.pid,
      contract: first.contract,
    });

    const again = await devnetUp({ home, signer: admin });
    expect(again).toMatchObject({ pid: first.pid, contract: first.contract, rpcUrl: first.rpcUrl });

    const chain = await connectChain({ rpcUrl: first.rpcUrl!, contract: first.contract!, signer: user });
    await register(chain, { role: 'patient', recipient: X25519_RECIPIENT });
    chain.provider.destroy();

    expect(await devnetDown({ home })).toEqual({ stopped: true });
    expect(await devnetStatus({ home })).toMatchObject({ running: false, pid: null, contract: first.contract });
    expect(await devnetDown({ home })).toEqual({ stopped: false });
    await expect(fundAccount(home, user.address)).rejects.toBeInstanceOf(UsageError);

    const back = await devnetUp({ home, signer: Wallet.createRandom() });
    expect(back.running).toBe(true);
    expect(back.contract).toBe(first.contract); // not redeployed
    const ro = await connectChain({ rpcUrl: back.rpcUrl!, contract: back.contract! });
    expect(await whois(ro, user.address)).toMatchObject({ registered: true, role: 'patient', recipient: X25519_RECIPIENT });
    expect((await whois(ro, admin.address)).admin).toBe(true);
    ro.provider.destroy();
    await devnetDown({ home });
  });

  it('up when its old port is taken by another process: anvil binds a port itself, same contract (DEVNET.md § 1)', async () => {
    const admin = Wallet.createRandom();
    const first = await devnetUp({ home, signer: admin });
    const oldPort = JSON.parse(readFileSync(join(home, 'devnet', 'devnet.json'), 'utf8')).port as number;
    await devnetDown({ home });
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(oldPort, '127.0.0.1', () => r()));
    try {
      const back = await devnetUp({ home, signer: admin });
      expect(back.running).toBe(true);
      expect(back.contract).toBe(first.contract);
      const rec = JSON.parse(readFileSync(join(home, 'devnet', 'devnet.json'), 'utf8'));
      expect(rec.port).not.toBe(oldPort);
      expect(back.rpcUrl).toBe(`http://127.0.0.1:${rec.port}`);
      expect(processCommandLine(rec.pid)).toMatch(/ --port 0( |$)/);
      // status and down still recognise it as our anvil (DEVNET.md § 1.2)
      expect((await devnetStatus({ home })).pid).toBe(rec.pid);
      expect(await devnetDown({ home })).toEqual({ stopped: true });
    } finally {
      squatter.close();
    }
  });
});
