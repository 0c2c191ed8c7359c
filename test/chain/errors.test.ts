import { Interface, Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/chain/anvil.js';
import { loadArtifact } from '../../src/chain/artifacts.js';
import { connectChain } from '../../src/chain/client.js';
import { customError, toChainError } from '../../src/chain/errors.js';
import { grant } from '../../src/chain/grant.js';
import { register } from '../../src/chain/register.js';
import { send } from '../../src/chain/send.js';
import { whois } from '../../src/chain/whois.js';
import { AccessDeniedError, exitCodeOf, IntegrityError, NotFoundError, UnavailableError, UsageError } from '../../src/errors.js';
import { type ChainWorld, chainWorld, X25519_RECIPIENT } from '../helpers/world.js';

let f: ChainWorld;
beforeAll(async () => {
  f = await chainWorld();
});

describe('connectChain', () => {
  it('an unreachable endpoint is UNAVAILABLE (exit 6) naming devnet up / --rpc-url', async () => {
    const port = await freePort();
    const err = await connectChain({ rpcUrl: `http://127.0.0.1:${port}`, contract: f.contract }).catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(exitCodeOf(err)).toBe(6);
    expect(err.hint).toMatch(/emr devnet up/);
    expect(err.hint).toMatch(/--rpc-url/);
  });

  it('an address without code is NOT_FOUND (exit 7); a malformed one is USAGE', async () => {
    const err = await connectChain({ rpcUrl: f.url, contract: Wallet.createRandom().address }).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(exitCodeOf(err)).toBe(7);
    await expect(connectChain({ rpcUrl: f.url, contract: '0x1234' })).rejects.toBeInstanceOf(UsageError);
  });

  it('a write without a signer is USAGE', async () => {
    const ro = await connectChain({ rpcUrl: f.url, contract: f.contract });
    await expect(register(ro, { role: 'patient', recipient: X25519_RECIPIENT })).rejects.toBeInstanceOf(UsageError);
    expect((await whois(ro, f.admin.address)).admin).toBe(true); // reads need none
  });
});

describe('custom errors → exit classes', () => {
  it('every custom error in the ABI has a mapping, none falls through to the generic one', () => {
    const iface = new Interface(loadArtifact().abi);
    const names: string[] = [];
    iface.forEachError((e) => names.push(e.name));
    expect(names.length).toBeGreaterThan(20);
    for (const n of names) expect(customError(n).message).not.toMatch(/^transaction reverted/);
  });

  it('classes by kind', () => {
    expect(customError('NotAdmin')).toBeInstanceOf(AccessDeniedError);
    expect(customError('NotAuthorized')).toBeInstanceOf(AccessDeniedError);
    expect(customError('SuspendedProvider')).toBeInstanceOf(AccessDeniedError);
    expect(customError('InvalidSignature')).toBeInstanceOf(IntegrityError);
    expect(customError('UnknownRecord')).toBeInstanceOf(NotFoundError);
    expect(customError('InvalidExpiry')).toBeInstanceOf(UsageError);
    expect(customError('SomethingNew')).toBeInstanceOf(UnavailableError);
  });

  it('decodes raw revert data and transport failures', () => {
    const iface = new Interface(loadArtifact().abi);
    const data = iface.encodeErrorResult('NotPatient', [f.admin.address]);
    const e = toChainError({ code: 'CALL_EXCEPTION', data }, iface);
    expect(e).toBeInstanceOf(AccessDeniedError);
    expect(e.details).toMatchObject({ contractError: 'NotPatient' });
    expect(toChainError({ code: 'CALL_EXCEPTION', data: '0x' }, iface)).toBeInstanceOf(UnavailableError);
    expect(toChainError(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), iface)).toBeInstanceOf(
      UnavailableError,
    );
  });
});

describe('reverted receipts', () => {
  it('a transaction mined with status 0 is an error, decoded by replay, never a success', async () => {
    const p = await f.patient();
    const doc = await f.provider();
    const before = await p.chain.provider.getBlockNumber();
    // Skip estimation so the refusal is mined: expiry in the past → InvalidExpiry.
    const err = await send(p.chain, 'grant', [doc.address, 1, 0, 1n, `0x${'00'.repeat(32)}`], { gasLimit: 200_000n }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.details).toMatchObject({ contractError: 'InvalidExpiry' });
    expect(await p.chain.provider.getBlockNumber()).toBeGreaterThan(before); // it really was mined
    // Out of gas: mined, reverted, not decodable → UNAVAILABLE.
    const oog = await send(p.chain, 'grant', [doc.address, 1, 0, 2n ** 39n, `0x${'00'.repeat(32)}`], { gasLimit: 30_000n }).catch((e) => e);
    expect(oog).toBeInstanceOf(UnavailableError);
    // The nonce manager recovers: the next transaction goes through.
    await grant(p.chain, { provider: doc.address, readMask: 1, expiry: 2n ** 39n });
  });
});
