// Issue 8 § 3 in batch jobs (SHARING.md § 1.5): a reader whose published key cannot be
// used (here a post-quantum key for a classic patient) is skipped, never blocks a row, and
// the batch SAYS so: one warning per (patient, type, reader), in --json `data.warnings[]`
// and on stderr, capped and escaped like every terminal line.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilFund } from '../../src/chain/anvil.js';
import { connectChain } from '../../src/chain/client.js';
import { grant } from '../../src/chain/grant.js';
import { register } from '../../src/chain/register.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { openStore } from '../../src/ipfs/store.js';
import { deriveTypeKey } from '../../src/keys/derive.js';
import { RECORD_TYPES, typeSlots } from '../../src/record-types.js';
import { publishKeyDelivery } from '../../src/records/key-delivery.js';
import { csv, makeWorld, type World } from '../batch/fixture.js';

let w: World;
const patient = Wallet.createRandom();
const reader = Wallet.createRandom();

async function as(wallet: { privateKey: string }, fn: (c: Awaited<ReturnType<typeof connectChain>>) => Promise<unknown>) {
  const chain = await connectChain({
    rpcUrl: w.rpcUrl,
    contract: w.contract,
    signer: new Wallet(wallet.privateKey),
    pollingIntervalMs: 50,
  });
  try {
    await fn(chain);
  } finally {
    chain.provider.destroy();
  }
}

beforeAll(async () => {
  w = await makeWorld();
  await anvilFund(w.rpcUrl, patient.address);
  await anvilFund(w.rpcUrl, reader.address);
  await as(reader, (c) => register(c, { role: 'provider', recipient: generateIdentity('mlkem768x25519').recipient }));
  const v = await w.run(['--json', 'admin', 'verify', reader.address]);
  if (v.code !== 0) throw new Error(v.stderr);
  await as(patient, async (c) => {
    await register(c, { role: 'patient', recipient: generateIdentity('x25519').recipient });
    const expiry = Math.floor(Date.now() / 1000) + 86400;
    // As `emr grant` does (docs/CONTRACT.md § Privacy): the patient's own slots, and the
    // type key to the writer in the grant's key delivery.
    const typeKey = deriveTypeKey(Buffer.from(patient.privateKey.slice(2), 'hex'));
    const slots = typeSlots(typeKey);
    const store = await openStore({ home: w.home });
    const drRecipient = (await w.run(['--json', 'whois', w.dr])).json!.data.recipient as string;
    const delivery = await publishKeyDelivery(store, { patient: patient.address, grantee: w.dr, keys: [], typeKey }, drRecipient);
    await store.close?.();
    await grant(c, { provider: w.dr, readMask: 0, writeMask: slots.toMask(RECORD_TYPES), expiry, keyDelivery: delivery.digest });
    await grant(c, { provider: reader.address, readMask: 1 << slots.slotOf('lab'), writeMask: 0, expiry });
  });
}, 180_000);

afterAll(async () => {
  await w?.run(['devnet', 'down']);
});

describe('batch add warns about readers it skips (SHARING.md § 1.5)', () => {
  it('--json: the rows are added and data.warnings[] names the skipped reader once per (patient, type); stderr says it too', async () => {
    const dir = join(w.data, 'warn1');
    const files = w.files(dir, 3, 100);
    writeFileSync(
      join(dir, 'm.csv'),
      csv([
        ...files.map((f) => ({ file: f, patient: patient.address, type: 'lab' })),
        { file: files[0]!, patient: patient.address, type: 'note' },
      ]),
    );
    const r = await w.run(['--json', 'batch', 'add', join(dir, 'm.csv')], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json!.data.counts).toMatchObject({ added: 4 });
    const warnings: string[] = r.json!.data.warnings;
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`patient ${patient.address}, type lab: reader ${reader.address} skipped`);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('warning: '))).toEqual([`warning: ${warnings[0]}`]);
  }, 120_000);

  it('people see the warning on stderr, and a job with no skipped reader has data.warnings = []', async () => {
    const dir = join(w.data, 'warn2');
    const files = w.files(dir, 2, 100, 'h');
    writeFileSync(join(dir, 'm.csv'), csv([{ file: files[0]!, patient: patient.address, type: 'lab' }]));
    const r = await w.run(['batch', 'add', join(dir, 'm.csv'), '--progress', 'none'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`warning: patient ${patient.address}, type lab: reader ${reader.address} skipped`));
    writeFileSync(join(dir, 'n.csv'), csv([{ file: files[1]!, patient: patient.address, type: 'note' }]));
    const r2 = await w.run(['--json', 'batch', 'add', join(dir, 'n.csv')], { timeoutMs: 120_000 });
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.json!.data.warnings).toEqual([]);
  }, 120_000);
});
