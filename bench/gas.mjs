#!/usr/bin/env node
// `npm run bench:gas`: gas of every EmrAccess action on a private anvil, as a Markdown
// table (docs/CONTRACT.md § Gas). Uses artifacts/ (compiled at build) and ethers only.
// Goals (the lead's): add ≤ 50k, ≤ 10k per record in a batch of 100, grant ≤ 60k,
// revoke ≤ 30k, register ≤ 70k (X25519), access check flat in the number of grants.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContractFactory, JsonRpcProvider, Network, NonceManager, Wallet, ZeroHash } from 'ethers';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifactPath = join(root, 'artifacts', 'EmrAccess.json');
if (!existsSync(artifactPath)) {
  process.stderr.write('bench:gas: artifacts/EmrAccess.json missing; run `npm run build` first\n');
  process.exit(1);
}
const artifact = JSON.parse(readFileSync(artifactPath, 'utf8'));

// anvil binds its own port (--port 0, read back): no close-then-bind race (docs/TESTING.md § 1).
const { startAnvil } = await import(join(root, 'dist/chain/anvil.js'));
const { child: anvil, url } = await startAnvil({ port: 0 });
const provider = new JsonRpcProvider(url, Network.from(31337), { staticNetwork: true, cacheTimeout: -1, pollingInterval: 20 });

const rows = [];
const row = (action, gas, goal = '', note = '') => rows.push({ action, gas: Number(gas), goal, note });

async function fund(addr) {
  await provider.send('anvil_setBalance', [addr, '0x56bc75e2d63100000']);
}
async function account() {
  const w = Wallet.createRandom().connect(provider);
  await fund(w.address);
  return w;
}
async function gasOf(txPromise) {
  const tx = await txPromise;
  const r = await tx.wait();
  if (r.status !== 1) throw new Error('reverted');
  return r.gasUsed;
}

const X25519 = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
// mlkem768x25519 recipient: 1184 + 32 bytes of key material: exactly 1,959 characters
// (the contract checks the shape, CONTRACT.md § Recipients).
const PQ = `age1pq1${'q'.repeat(1952)}`;
const dig = (n) => `0x${n.toString(16).padStart(64, '0')}`;
const now = async () => (await provider.getBlock('latest')).timestamp;

try {
  const admin = await account();
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, admin);
  const c0 = await factory.deploy(admin.address);
  const deployReceipt = await c0.deploymentTransaction().wait();
  row('deploy', deployReceipt.gasUsed, '', `${(artifact.deployedBytecode.length - 2) / 2} bytes of code`);
  const address = await c0.getAddress();
  const as = (w) => c0.connect(new NonceManager(w));

  const patient = await account();
  row('register patient (X25519 recipient, 62 B)', await gasOf(as(patient).register(1, X25519)), '≤ 70k');
  const pq = await account();
  row('register (PQ hybrid recipient, 1,959 B)', await gasOf(as(pq).register(1, PQ)));
  row('re-register (rotate X25519 key)', await gasOf(as(patient).register(1, X25519.replace('q', 'p'))));
  const doc = await account();
  await gasOf(as(doc).register(2, X25519));
  row('verifyProvider', await gasOf(as(admin).verifyProvider(doc.address)));

  const far = (await now()) + 10 * 365 * 86400;
  row('grant (new)', await gasOf(as(patient).grant(doc.address, 0b11, 0b11, far, dig(1))), '≤ 60k');
  row('grant (update existing)', await gasOf(as(patient).grant(doc.address, 0b111, 0b11, far, dig(2))));

  row('addRecord by patient', await gasOf(as(patient).addRecord(patient.address, 0, 0x55, dig(10))), '≤ 50k');
  row('addRecord by granted provider', await gasOf(as(doc).addRecord(patient.address, 1, 0x55, dig(11))), '≤ 50k');

  const pack = (entries) =>
    `0x${entries.map(([p, t, codec, d]) => p.slice(2) + t.toString(16).padStart(2, '0') + codec.toString(16) + d.slice(2)).join('')}`;
  const same = Array.from({ length: 100 }, (_, i) => [patient.address, 1, 0x55, dig(100 + i)]);
  const g100 = await gasOf(as(doc).addRecords(pack(same)));
  row('addRecords ×100, one patient (per record)', g100 / 100n, '≤ 10k', `total ${g100}`);
  const g10 = await gasOf(as(doc).addRecords(pack(same.slice(0, 10))));
  row('addRecords ×10, one patient (per record)', g10 / 10n, '', `total ${g10}`);
  // 100 records over 20 patients (5 each): each new patient costs two cold slot reads.
  const patients = [];
  for (let i = 0; i < 20; i++) {
    const p = await account();
    await gasOf(as(p).register(1, X25519));
    await gasOf(as(p).grant(doc.address, 0, 0b10, far, ZeroHash));
    patients.push(p);
  }
  const mixed = Array.from({ length: 100 }, (_, i) => [patients[Math.floor(i / 5)].address, 1, 0x55, dig(300 + i)]);
  const gm = await gasOf(as(doc).addRecords(pack(mixed)));
  row('addRecords ×100, 20 patients (per record)', gm / 100n, '≤ 10k', `total ${gm}`);

  row('rekeyRecord', await gasOf(as(patient).rekeyRecord(1, 0x70, dig(999))));
  row('grantRecords (1 id)', await gasOf(as(patient).grantRecords(doc.address, [1], far, dig(3))));
  row('grantRecords (10 ids)', await gasOf(as(patient).grantRecords(doc.address, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], far, dig(3))));
  row('revoke', await gasOf(as(patient).revoke(doc.address)), '≤ 30k');
  await gasOf(as(patient).grant(doc.address, 0b11, 0b11, far, ZeroHash));

  const reqTx = await as(doc).requestAccess(patient.address, 0b100, 'pre-op check');
  const reqR = await reqTx.wait();
  row('requestAccess (12-byte reason)', reqR.gasUsed);
  row('approveRequest (extends grant)', await gasOf(as(patient).approveRequest(1, far, dig(4))));
  await gasOf(as(doc).requestAccess(patient.address, 0b1000, ''));
  row('denyRequest', await gasOf(as(patient).denyRequest(2)));
  // Issue 25 (CONTRACT.md § Privacy): a sealed request (every slot; an X25519 age file of
  // ~90 bytes of JSON, base64, ~430 bytes) and its approval with the patient's own slots.
  const sealed = `emr-sealed-1:${Buffer.alloc(320, 7).toString('base64')}`;
  row(`requestAccess (sealed, ${sealed.length}-byte reason)`, await gasOf(as(doc).requestAccess(patient.address, 0xffffffff, sealed)));
  row('approveRequestAs (16 slots, extends grant)', await gasOf(as(patient).approveRequestAs(3, 0x0f0f0f0f, far, dig(5))));
  row('setEmergencyTypes', await gasOf(as(patient).setEmergencyTypes(0b100000)));
  // doc was revoked above: it may not reopen an emergency for 24 h (CONTRACT.md § Emergency).
  const er = await account();
  await gasOf(as(er).register(2, X25519));
  await gasOf(as(admin).verifyProvider(er.address));
  // Comparable with the row before: the provider's grant slot already holds a value.
  await gasOf(as(patient).grant(er.address, 0b1, 0, far, ZeroHash));
  row('openEmergency (14-byte reason)', await gasOf(as(er).openEmergency(patient.address, 'unconscious ER')));
  row('releaseEmergencyKeys (admin, emergency open)', await gasOf(as(admin).releaseEmergencyKeys(patient.address, er.address, dig(5))));
  row(
    'logAccess (read receipt)',
    await gasOf(as(doc).logAccess(1, patient.address, 1)),
    '≤ 25k if possible',
    'three cold reads: CONTRACT.md § Gas',
  );

  // Issue 21 (CONTRACT.md § Void and dispense): a 13-byte reason; a prescription (type 3)
  // added by the patient, dispensed by a provider holding a type grant.
  row('voidRecord (13-byte reason)', await gasOf(as(patient).voidRecord(1, patient.address, 'entered wrong')), '', 'no storage: an event');
  const rxTx = await as(patient).addRecord(patient.address, 3, 0x55, dig(777));
  const rxId = (await rxTx.wait()).logs.map((l) => c0.interface.parseLog(l)).find((e) => e?.name === 'RecordAdded').args[0];
  await gasOf(as(patient).grant(er.address, 0b1000, 0, far, ZeroHash));
  row('dispensePrescription (type grant)', await gasOf(as(er).dispensePrescription(rxId, patient.address, 3)), '', 'one new slot (~22k)');

  // Issue 24 § 2 (CONTRACT.md § Erasure): the tombstone with a reason sealed to an X25519
  // patient key, as the CLI sends it (512-byte padded plaintext → 941 characters).
  const sealedErase = `emr-sealed-1:${'A'.repeat(928)}`;
  const erTx = await as(patient).addRecord(patient.address, 0, 0x55, dig(778));
  const erId = (await erTx.wait()).logs.map((l) => c0.interface.parseLog(l)).find((e) => e?.name === 'RecordAdded').args[0];
  row(
    'eraseRecord (sealed reason, 941 B)',
    await gasOf(as(patient).eraseRecord(erId, sealedErase)),
    '',
    'one new slot + the event (§ Erasure)',
  );

  // Signed grant relayed by a third party.
  const relayer = await account();
  const signer = await account();
  await gasOf(as(signer).register(1, X25519));
  const deadline = (await now()) + 3600;
  const msg = {
    patient: signer.address,
    provider: doc.address,
    readMask: 1,
    writeMask: 0,
    expiry: far,
    keyDelivery: ZeroHash,
    epoch: 0,
    nonce: 0,
    deadline,
  };
  const sig = await signer.signTypedData(
    { name: 'EmrAccess', version: '2', chainId: 31337, verifyingContract: address },
    {
      Grant: [
        { name: 'patient', type: 'address' },
        { name: 'provider', type: 'address' },
        { name: 'readMask', type: 'uint32' },
        { name: 'writeMask', type: 'uint32' },
        { name: 'expiry', type: 'uint40' },
        { name: 'keyDelivery', type: 'bytes32' },
        { name: 'epoch', type: 'uint32' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
    },
    msg,
  );
  row('grantBySig (relayed)', await gasOf(as(relayer).grantBySig(msg.patient, msg.provider, 1, 0, far, ZeroHash, 0, 0, deadline, sig)));

  // Signed revoke relayed by a third party (issue 20 point 2: names epoch and direct-grant count, no nonce).
  const rmsg = { patient: signer.address, provider: doc.address, epoch: 0, directGrants: 0, deadline };
  const rsig = await signer.signTypedData(
    { name: 'EmrAccess', version: '2', chainId: 31337, verifyingContract: address },
    {
      Revoke: [
        { name: 'patient', type: 'address' },
        { name: 'provider', type: 'address' },
        { name: 'epoch', type: 'uint32' },
        { name: 'directGrants', type: 'uint32' },
        { name: 'deadline', type: 'uint256' },
      ],
    },
    rmsg,
  );
  row('revokeBySig (relayed)', await gasOf(as(relayer).revokeBySig(rmsg.patient, rmsg.provider, 0, 0, deadline, rsig)));

  // Access check: estimated gas of canRead as a transaction, after 1, 10 and 100 grants.
  const hub = await account();
  await gasOf(as(hub).register(1, X25519));
  const readers = [];
  for (let n = 1; n <= 100; n++) {
    const r = await account();
    await gasOf(as(r).register(2, X25519));
    await gasOf(as(hub).grant(r.address, 0b10, 0, far, ZeroHash));
    readers.push(r);
    if (n === 1 || n === 10 || n === 100) {
      const est = await c0.canRead.estimateGas(r.address, hub.address, 1, 0);
      row(`canRead (estimateGas) after ${n} grant${n > 1 ? 's' : ''}`, est, 'flat');
    }
  }
  const denied = await account();
  row('canRead (estimateGas), no grant: full path', await c0.canRead.estimateGas(denied.address, hub.address, 1, 5), 'flat');
} finally {
  provider.destroy();
  anvil.kill('SIGTERM');
}

const fmt = (n) => n.toLocaleString('en-US');
// Figures before issue 11 (goal 7) where they changed, so one run shows both.
const BEFORE = {
  'logAccess (read receipt)': 33_744,
  'canRead (estimateGas) after 1 grant': 29_816,
  'canRead (estimateGas) after 10 grants': 29_816,
  'canRead (estimateGas) after 100 grants': 29_816,
  'canRead (estimateGas), no grant: full path': 27_420,
};
const lines = ['| action | gas | before (issue 11) | goal | note |', '|---|---:|---:|---|---|'];
for (const r of rows)
  lines.push(`| ${r.action} | ${fmt(r.gas)} | ${BEFORE[r.action] ? fmt(BEFORE[r.action]) : ''} | ${r.goal} | ${r.note} |`);
process.stdout.write(`${lines.join('\n')}\n`);
process.stdout.write(
  `\nanvil 1.7.1 (default hardfork), solc ${artifact.solcVersion.split('+')[0]}, optimizer 200 runs, evmVersion prague\n`,
);
