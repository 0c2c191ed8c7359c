/**
 * `emr demo` (docs/CLI.md § Batch and demo; README, first lines): the whole story on the embedded
 * defaults, in one process, narrating each step with what the chain recorded. The actors
 * are real profiles in the home (keystores with passphrase files beside them, so a person
 * can go on exploring with the printed commands).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers/wallet';
import { auditEvents } from '../chain/audit.js';
import { connectChain } from '../chain/client.js';
import { devnetDown, devnetUp } from '../chain/devnet.js';
import { logAccess } from '../chain/log-access.js';
import { getRecord } from '../chain/records.js';
import { register } from '../chain/register.js';
import type { EmrChain } from '../chain/types.js';
import { verifyProvider } from '../chain/verify-provider.js';
import { Config } from '../config.js';
import { decryptBundle } from '../crypto/bundle.js';
import { keyTypedDataSigner } from '../crypto/typed-data-signer.js';
import { AccessDeniedError, IntegrityError, InternalError } from '../errors.js';
import { openStore } from '../ipfs/store.js';
import { createAccount } from '../keys/create.js';
import type { ScryptParams } from '../keys/keystore-v3.js';
import type { Role } from '../keys/profiles.js';
import { ProfileStore } from '../keys/profiles.js';
import { newKeystoreCost } from '../keys/test-kdf.js';
import { namesOfFields } from '../record-types.js';
import { saveNewProfile, sealNewAccount } from '../session/new-profile.js';
import type { Unlocked } from '../session/unlock.js';
import { addRecordFiles } from './add.js';
import { describeAuditEvent } from './audit-text.js';
import { checkReadAccess, openRecord } from './fetch.js';
import { revokeAccess } from './revoke-access.js';
import { grantAccess } from './share.js';
import { slotsFor } from './type-keys.js';

export interface DemoStep {
  step: string;
  detail: string;
  txHash?: string;
}

export interface DemoOptions {
  /** The home to use; default a fresh throw-away directory under the OS temp dir. */
  home?: string;
  /** Keep the devnet running afterwards (default: stop it, state stays in the home). */
  keep: boolean;
  narrate(line: string): void;
  now(): Date;
  /** The environment: EMR_TEST_KDF (docs/KEYSTORE.md § 2.6) picks the keystores' scrypt cost. */
  env: NodeJS.ProcessEnv;
}

interface Actor {
  name: string;
  me: Unlocked;
  chain: EmrChain;
  passwordFile: string;
}

async function makeActor(home: string, name: string, role: Role, cost: ScryptParams): Promise<Omit<Actor, 'chain'>> {
  const acct = await createAccount({ words: 24 });
  const pass = randomBytes(18).toString('base64url');
  const passwordFile = join(home, `${name}.password`);
  writeFileSync(passwordFile, pass + '\n', { mode: 0o600 });
  const keystore = await sealNewAccount(acct, Buffer.from(pass), cost);
  // The demo picks its default profile itself (alice), so no config here.
  const { profile, age } = saveNewProfile(
    { profiles: new ProfileStore(home) },
    { name, role, kind: 'x25519', address: acct.address, privateKey: acct.privateKey, keystore, createdAt: new Date() },
  );
  const wallet = new Wallet('0x' + Buffer.from(acct.privateKey).toString('hex'));
  return {
    name,
    passwordFile,
    me: {
      profile,
      privateKey: acct.privateKey,
      age,
      signer: keyTypedDataSigner(acct.privateKey, acct.address),
      wallet: async () => wallet,
    },
  };
}

export async function runDemo(o: DemoOptions): Promise<{
  home: string;
  homeRemoved: boolean;
  rpcUrl: string;
  contract: string;
  chainId: number;
  recordId: string;
  steps: DemoStep[];
  audit: string[];
}> {
  const cost = newKeystoreCost(o.env);
  const home = o.home ?? mkdtempSync(join(tmpdir(), 'emr-demo-'));
  // A throw-away home of our own holds keystores with their passphrase files beside them:
  // removed at the end unless --keep, which leaves it to explore (issue 22 point 12).
  const removeHome = o.home === undefined && !o.keep;
  let finished = false;
  const steps: DemoStep[] = [];
  const say = (step: string, detail: string, txHash?: string) => {
    steps.push({ step, detail, ...(txHash ? { txHash } : {}) });
    o.narrate(`${String(steps.length).padStart(2)}. ${detail}${txHash ? `\n      tx ${txHash}` : ''}`);
  };
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const existing = new ProfileStore(home);
  // In a home that already has demo actors, use fresh names rather than touch them.
  const suffix = ['admin', 'dr-grey', 'alice', 'dr-house'].some((n) => existing.exists(n)) ? `-${randomBytes(2).toString('hex')}` : '';
  const n = (s: string) => s + suffix;

  o.narrate(`emr demo — the whole story on a local chain and a local IPFS store (home: ${home})\n`);
  const admin0 = await makeActor(home, n('admin'), 'admin', cost);
  const grey0 = await makeActor(home, n('dr-grey'), 'provider', cost);
  const alice0 = await makeActor(home, n('alice'), 'patient', cost);
  const house0 = await makeActor(home, n('dr-house'), 'provider', cost);
  const config = new Config(home);
  if (!config.get('defaultProfile')) config.update({ defaultProfile: alice0.name });
  say(
    'keys',
    `Made four identities (Ethereum account + age key each): ${admin0.name} (consortium admin), ${grey0.name} (GP), ${alice0.name} (patient), ${house0.name} (specialist)`,
  );

  const status = await devnetUp({
    home: home,
    signer: await admin0.me.wallet(),
    fund: [grey0, alice0, house0, admin0].map((a) => a.me.profile.address),
  });
  if (!status.running || !status.rpcUrl || !status.contract)
    throw new InternalError('the devnet did not come up', { hint: 'see <home>/devnet/anvil.log' });
  say(
    'devnet',
    `Started a local chain (anvil, chain ${status.chainId}) at ${status.rpcUrl} and deployed the access contract at ${status.contract}, ${admin0.name} as first admin`,
  );

  const connect = async (a: Omit<Actor, 'chain'>): Promise<Actor> => ({
    ...a,
    chain: await connectChain({
      rpcUrl: status.rpcUrl!,
      contract: status.contract!,
      signer: await a.me.wallet(),
      fromBlock: status.deployBlock,
      pollingIntervalMs: 200,
    }),
  });
  const [admin, grey, alice, house] = await Promise.all([connect(admin0), connect(grey0), connect(alice0), connect(house0)]);
  const store = await openStore({ home: home });
  const scratch = join(home, 'tmp');
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  try {
    for (const [a, role] of [
      [alice, 'patient'],
      [grey, 'provider'],
      [house, 'provider'],
    ] as const) {
      const tx = await register(a.chain, { role, recipient: a.me.age.recipient });
      say('register', `${a.name} published address ${a.me.profile.address} and encryption key as a ${role}`, tx.txHash);
    }
    for (const p of [grey, house]) {
      const tx = await verifyProvider(admin.chain, { provider: p.me.profile.address });
      say('verify', `${admin.name} verified ${p.name} as a provider`, tx.txHash);
    }

    // alice's own slot of `lab`, padded (CONTRACT.md § Privacy).
    const aliceSlots = await slotsFor({ chain: alice.chain, me: alice.me }, alice.me.profile.address);
    const lab = aliceSlots.pad(aliceSlots.toMask(['lab']));
    const share = (a: Actor) => ({ home, chain: a.chain, store, me: a.me, scratch });
    const year = Math.floor(o.now().getTime() / 1000) + 365 * 86400;
    const g1 = await grantAccess(share(alice), { provider: grey.me.profile.address, readMask: lab, write: true, ids: [], expiry: year });
    say('grant', `${alice.name} let her GP ${grey.name} add and read her lab results for a year`, g1.txHashes[0]);

    const file = join(home, 'cbc-panel.txt');
    writeFileSync(file, `Complete blood count — ${alice.name}\nHb 13.9 g/dL · WBC 6.1 ×10⁹/L · PLT 250 ×10⁹/L\nSigned: ${grey.name}\n`);
    const [rec] = await addRecordFiles(
      { home: home, chain: grey.chain, store, me: grey.me, scratch, now: o.now },
      alice.me.profile.address,
      [{ file, type: 'lab', title: 'CBC panel' }],
    );
    if (!rec) throw new InternalError('no record was added', { hint: 'report this' });
    say(
      'add',
      `${grey.name} encrypted the lab result to ${alice.name} and himself, signed it (EIP-712), stored it on IPFS as ${rec.cid} and registered it as record #${rec.id}`,
      rec.txHash,
    );

    const month = Math.floor(o.now().getTime() / 1000) + 30 * 86400;
    const g2 = await grantAccess(share(alice), { provider: house.me.profile.address, readMask: lab, write: false, ids: [], expiry: month });
    say(
      'grant',
      `${alice.name} granted ${house.name} read access to her lab results for 30 days; the key of record #${rec.id} went to him in a key-delivery object only he can open (${g2.keyDeliveryCid})`,
      g2.txHashes[0],
    );

    const out = join(home, `record-${rec.id}-as-${house.name}.txt`);
    const r1 = await getRecord(house.chain, BigInt(rec.id));
    await checkReadAccess(house.chain, house.me.profile.address, r1);
    const opened = await openRecord({ chain: house.chain, store, me: house.me }, r1, out);
    const receipt = await logAccess(house.chain, { recordId: r1.id, patient: r1.patient, recordType: r1.recordType });
    const same = readFileSync(out, 'utf8') === readFileSync(file, 'utf8');
    if (!same) throw new IntegrityError('the fetched record differs from the original', { hint: 'report this' });
    say(
      'fetch',
      `${house.name} fetched record #${rec.id}: CID checked, decrypted with the delivered key, signature by ${grey.name} valid, content identical (sha256 ${opened.sha256.slice(0, 16)}…); he left a read receipt`,
      receipt.txHash,
    );

    const rv = await revokeAccess(share(alice), house.me.profile.address, { rekey: true });
    say(
      'revoke',
      `${alice.name} revoked ${house.name}. Honest note: he already fetched record(s) #${rv.stillHeld.fetched.join(', #')}; that copy cannot be recalled`,
      rv.txHash,
    );
    for (const k of rv.rekeyed)
      say(
        'rekey',
        `${alice.name} re-encrypted record #${k.id} under a new key for herself and ${grey.name} only: ${k.oldCid} → ${k.newCid}`,
        k.txHash,
      );

    try {
      const r2 = await getRecord(house.chain, BigInt(rec.id));
      await checkReadAccess(house.chain, house.me.profile.address, r2);
      throw new InternalError('a revoked provider could still read', { hint: 'report this: access control failed' });
    } catch (e) {
      if (!(e instanceof AccessDeniedError)) throw e;
      say('denied', `${house.name} tried to fetch record #${rec.id} again: refused (ACCESS_DENIED, exit 3) — ${e.message}`);
    }
    // Even with the chain check bypassed, his delivered key does not open the new ciphertext.
    const r3 = await getRecord(house.chain, BigInt(rec.id));
    try {
      await decryptBundle({ input: store.cat(r3.cid), output: null, identities: [house.me.age.identity] });
      throw new InternalError('the revoked provider could open the re-keyed record', { hint: 'report this' });
    } catch (e) {
      if (!(e instanceof IntegrityError)) throw e;
      say('rekey-check', `And the re-keyed ciphertext ${r3.cid} does not open with ${house.name}'s key (${e.message})`);
    }

    const names = new Map([admin, grey, alice, house].map((a) => [a.me.profile.address.toLowerCase(), a.name]));
    const nameOf = (addr: string) => names.get(addr.toLowerCase()) ?? addr;
    const trail = (await auditEvents(alice.chain, { patient: alice.me.profile.address })).map(
      (e) =>
        `${new Date(e.time * 1000).toISOString().slice(11, 19)}  block ${String(e.blockNumber).padStart(3)}  ${describeAuditEvent({ ...e, typeNames: namesOfFields(e.fields, aliceSlots) }, nameOf)}`,
    );
    o.narrate(`\nThe audit trail of ${alice.name}, read back from the chain (\`emr audit\`):`);
    for (const l of trail) o.narrate(`  ${l}`);
    // Suggest only commands that work once the demo returns: without --keep its devnet is
    // stopped (state kept), so the first suggestion starts it again (issue 10 point 11).
    const q = (s: string) => (/^[\w./@:=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
    const as = (a: { name: string; passwordFile: string }) =>
      `emr --home ${q(home)} --profile ${q(a.name)} --password-file ${q(a.passwordFile)}`;
    if (removeHome) {
      o.narrate(
        '\nThe throw-away home (keystores and their passphrase files) is removed now; run `emr demo --keep` to explore it afterwards.',
      );
    } else {
      o.narrate(`\nExplore further${o.keep ? ' (the devnet is still running)' : ' (the demo stopped its devnet; its state is kept)'}:`);
      if (!o.keep) o.narrate(`  $ ${as(admin)} devnet up`);
      o.narrate(`  $ ${as(alice)} record list`);
      o.narrate(`  $ ${as(alice)} audit`);
      o.narrate(`  $ emr --home ${q(home)} devnet down`);
      if (o.home === undefined)
        o.narrate(
          `The home holds throw-away keystores with their passphrase files; when done: emr --home ${q(home)} devnet down && rm -rf ${q(home)}`,
        );
    }
    finished = true;
    return {
      home: home,
      homeRemoved: removeHome,
      rpcUrl: status.rpcUrl,
      contract: status.contract,
      chainId: Number(status.chainId),
      recordId: rec.id,
      steps,
      audit: trail,
    };
  } finally {
    await store.close();
    for (const a of [admin, grey, alice, house]) a.chain.provider.destroy();
    for (const a of [admin0, grey0, alice0, house0]) a.me.privateKey.fill(0);
    if (!o.keep) await devnetDown({ home: home });
    // Only a finished run's home goes: a failed one stays for its logs (devnet/anvil.log).
    if (removeHome && finished) rmSync(home, { recursive: true, force: true });
  }
}
