// Issue #8 (hostile participants) through the built binary: a grantee who publishes a bad
// key, forged read receipts, a signed grant relayed after a revoke, a zero-address admin.
// Each test fails on the code before the fix.

import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectChain } from '../../src/chain/client.js';
import type { EmrChain } from '../../src/chain/types.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { clinic, emr } from '../helpers/cli.js';

const c = clinic();
const { as, ok, rpc } = c;
let mal: { address: string; chain: EmrChain; identity: string };
let contract = '';

/** Flips the last checksum character: the shape is right, the key does not parse. */
function badChecksum(recipient: string): string {
  const last = recipient.at(-1) === 'q' ? 'p' : 'q';
  return recipient.slice(0, -1) + last;
}

beforeAll(async () => {
  // The shared clinic (test/helpers/shared-world.ts): admin alone an admin, alice
  // registered, house a verified provider alice has granted nothing.
  const d = await c.fromWorld();
  contract = d.contract;
  // The attacker drives the contract directly (as with `cast`), not through emr.
  const wallet = Wallet.createRandom();
  await rpc('anvil_setBalance', [wallet.address, '0x56bc75e2d63100000']);
  const chain = await connectChain({ rpcUrl: d.rpcUrl, contract, signer: wallet, pollingIntervalMs: 50 });
  const id = generateIdentity();
  await (await (chain.contract.connect(chain.signer!) as typeof chain.contract).getFunction('register')(2, id.recipient)).wait();
  mal = { address: wallet.address, chain, identity: id.identity };
}, 120_000);

afterAll(async () => {
  await c.devnetDown();
});

async function reRegister(recipient: string) {
  await (await (mal.chain.contract.connect(mal.chain.signer!) as typeof mal.chain.contract).getFunction('register')(2, recipient)).wait();
}

describe('issue #8 point 15: admin add 0x0', () => {
  it('refuses the zero address (exit 2) and the last admin still cannot remove itself (exit 3)', async () => {
    const r = await emr([...as('admin'), '--json', 'admin', 'add', '0x0000000000000000000000000000000000000000']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.json?.error?.message).toMatch(/zero address/);
    expect((await emr([...as('admin'), '--json', 'admin', 'remove', 'admin'])).code).toBe(3);
  });
});

describe('issue #8 point 2: a revoke voids a grant signed with --sign-only', () => {
  it('sign, revoke, relay: the relay is refused (exit 3) and the provider still reads nothing', async () => {
    const f = c.file('n2.txt', 'a note');
    const id = (await ok([...as('alice'), 'record', 'add', f, '--patient', 'alice', '--type', 'note'])).records[0].id;
    const signed = join(c.home, 'grant-house.json');
    await ok([...as('alice'), 'grant', 'house', '--types', 'note', '--expires', '30d', '--sign-only', '-o', signed]);
    await ok([...as('alice'), 'revoke', 'house']);
    const r = await emr([...as('house'), '--json', 'relay', signed]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.json?.error?.message).toMatch(/revoked/);
    expect((await emr([...as('house'), '--json', 'fetch', id, '-o', join(c.home, 'house-n2.txt')])).code).toBe(3);
  });
});

describe('issue #8 point 3: a grantee with a bad key cannot block new records', () => {
  it('a grantee re-registering a post-quantum key is skipped with a warning; the record is added', async () => {
    await ok([...as('alice'), 'grant', mal.address, '--types', 'lab', '--expires', '30d']);
    await reRegister(generateIdentity('mlkem768x25519').recipient);
    const r = await emr([...as('alice'), '--json', 'record', 'add', c.file('lab1.txt', 'CBC ok'), '--patient', 'alice', '--type', 'lab']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json!.data.warnings).toEqual([expect.stringContaining(`reader ${mal.address} skipped`)]);
    expect(r.stderr).toContain(`reader ${mal.address} skipped`);
    const id = r.json!.data.records[0].id;
    expect((await ok([...as('alice'), 'fetch', id, '-o', join(c.home, 'lab1.out')])).signatureValid).toBe(true);
  });

  it('a key of the right shape that does not parse (bad checksum) is skipped too, said on stderr', async () => {
    await reRegister(badChecksum(generateIdentity().recipient));
    const r = await emr([...as('alice'), 'record', 'add', c.file('lab2.txt', 'CBC again'), '--patient', 'alice', '--type', 'lab']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`warning: reader ${mal.address} skipped: its published key is not a valid age recipient`));
  });
});

describe('issue #8 point 9: forged read receipts', () => {
  it('a receipt for a record the reader may not read is flagged in audit and not counted as fetched by revoke', async () => {
    const good = generateIdentity();
    await reRegister(good.recipient);
    const note = (await ok([...as('alice'), 'record', 'add', c.file('secret.txt', 'private note'), '--patient', 'alice', '--type', 'note']))
      .records[0].id;
    const lab = (await ok([...as('alice'), 'record', 'add', c.file('lab3.txt', 'lab'), '--patient', 'alice', '--type', 'lab'])).records[0]
      .id;
    const alice = (await ok(['--home', c.home, 'whois', 'alice'])).address;
    const logAccess = (mal.chain.contract.connect(mal.chain.signer!) as typeof mal.chain.contract).getFunction('logAccess');
    // On chain a type is alice's secret slot (CONTRACT.md § Privacy); mal, a lab grantee, holds her key.
    const LAB = (await c.slotsOf('alice')).slotOf('lab');
    // mal may read labs only: it claims the note is a lab, then logs its real lab record.
    await (await logAccess(BigInt(note), alice, LAB)).wait();
    await (await logAccess(BigInt(lab), alice, LAB)).wait();

    const events = (await ok([...as('alice'), 'audit'])).events.filter(
      (e: { event: string; actor: string }) => e.event === 'record-accessed' && e.actor === mal.address,
    );
    expect(events.map((e: { recordId: string; details: { forged?: string } }) => [e.recordId, e.details.forged ?? null])).toEqual([
      [note, expect.stringMatching(/type/)],
      [lab, null],
    ]);
    const human = await emr([...as('alice'), 'audit']);
    expect(human.stdout).toMatch(new RegExp(`FORGED receipt \\(not a read\\): .* record #${note} `));
    expect(human.stdout).not.toMatch(new RegExp(`read record #${note} `));
    expect(human.stdout).toMatch(/a read receipt proves only/);

    const rv = await ok([...as('alice'), 'revoke', mal.address]);
    expect(rv.stillHeld.fetched).toEqual([lab]);
  });
});
