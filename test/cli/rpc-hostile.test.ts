// Red team (issue 20 point 6): a malicious RPC endpoint swaps a provider's published
// recipient and its on-chain commitment, consistently, so that `grant` would encrypt the key
// delivery to the attacker. The contact book (docs/SHARING.md § 8) pins each address's
// recipient on first use; a second `--rpc-url` cross-checks the reads (§ 8.4). Through the
// built binary, on the shared clinic world, with a lying proxy in front of its anvil.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../../src/chain/register.js';
import { generateIdentity } from '../../src/crypto/identity.js';
import { type LyingRpc, lyingRpc } from '../helpers/lying-rpc.js';
import { type RpcRecorder, rpcRecorder } from '../helpers/rpc-recorder.js';
import { type Actor, clinic, emr, fundedActor } from '../helpers/world.js';

const c = clinic();
let devnet: { rpcUrl: string; contract: string };
let liar: LyingRpc;
let honest2: RpcRecorder;
const addr: Record<string, string> = {};
const real: Record<string, string> = {};
let remote: Actor;

const via = (...urls: string[]) => [...urls.flatMap((u) => ['--rpc-url', u]), '--contract', devnet.contract];
const run = (who: string, args: string[]) => emr([...c.as(who), '--json', ...args]);
const hostPort = (url: string) => new URL(url).host;

beforeAll(async () => {
  devnet = await c.fromWorld();
  // From the keystores, not `whois`: that would pin them all in this home's contact book.
  for (const p of (await c.ok([...c.as('admin'), 'key', 'list'])).profiles as Array<{ name: string; address: string; recipient: string }>) {
    addr[p.name] = p.address;
    real[p.name] = p.recipient;
  }
  // A lab record, so a lab grant has a key to deliver (an empty delivery encrypts nothing).
  await c.ok([...c.as('alice'), 'record', 'add', c.file('lab0.txt', 'sodium 140\n'), '--patient', 'alice', '--type', 'lab']);
  // A provider with no profile in this home: a truly remote party.
  remote = await fundedActor(devnet.rpcUrl, devnet.contract);
  await register(remote.chain, { role: 'provider', recipient: generateIdentity().recipient });
  const attacker = generateIdentity(real.wilson!.startsWith('age1pq1') ? 'mlkem768x25519' : 'x25519');
  liar = await lyingRpc(devnet.rpcUrl, devnet.contract, attacker.recipient);
  honest2 = await rpcRecorder(devnet.rpcUrl);
}, 240_000);

afterAll(async () => {
  await liar?.close();
  await honest2?.close();
  await c.devnetDown();
});

async function grantedTo(address: string): Promise<boolean> {
  const d = await c.ok([...c.as('alice'), 'grant', 'list']);
  return (d.grants as Array<{ provider: string }>).some((g) => g.provider.toLowerCase() === address.toLowerCase());
}

describe('a lying RPC endpoint (SHARING.md § 8)', () => {
  it('§ 8.2 MUST: a changed recipient for a known contact is refused (exit 4) naming the address, both fingerprints and `emr contacts accept`; nothing is granted', async () => {
    liar.victims.clear();
    liar.victims.add(addr.wilson!.toLowerCase());
    // First use, through the honest devnet: wilson's key is pinned.
    expect((await c.ok([...c.as('alice'), 'whois', 'wilson'])).recipient).toBe(real.wilson);
    const r = await run('alice', ['grant', 'wilson', '--types', 'lab', '--expires', '30d', ...via(liar.url)]);
    expect(liar.lies()).toBeGreaterThan(0);
    expect(r.code, r.stderr + r.stdout).toBe(4);
    const err = r.json!.error!;
    expect(err.code).toBe('INTEGRITY');
    expect(err.message).toContain(addr.wilson);
    expect(err.message).toMatch(/SHA256:\S+.*SHA256:\S+/);
    expect(err.hint).toContain(`emr contacts accept ${addr.wilson}`);
    expect(await grantedTo(addr.wilson!)).toBe(false);
    // The book still holds the first key.
    const show = await c.ok([...c.as('alice'), 'contacts', 'show', 'wilson']);
    expect(show.recipient).toBe(real.wilson);
  }, 120_000);

  it('§ 8.4 MUST: two --rpc-url that disagree on a recipient are refused (exit 4) even on first use, naming both endpoints; nothing is pinned or granted', async () => {
    liar.victims.clear();
    liar.victims.add(addr.house!.toLowerCase());
    const r = await run('alice', ['grant', 'house', '--types', 'lab', '--expires', '30d', ...via(liar.url, devnet.rpcUrl)]);
    expect(r.code, r.stderr + r.stdout).toBe(4);
    expect(r.json!.error!.message).toContain(hostPort(liar.url));
    expect(r.json!.error!.message).toContain(hostPort(devnet.rpcUrl));
    expect(await grantedTo(addr.house!)).toBe(false);
    const show = await run('alice', ['contacts', 'show', addr.house!]);
    expect(show.code, show.stderr).toBe(7);
  }, 120_000);

  it('§ 8.4: two honest endpoints agree, and the grant goes through (the contact is pinned)', async () => {
    const r = await run('alice', ['grant', 'house', '--types', 'lab', '--expires', '30d', ...via(honest2.url, devnet.rpcUrl)]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(honest2.methods).toContain('eth_getLogs');
    expect(await grantedTo(addr.house!)).toBe(true);
    expect((await c.ok([...c.as('alice'), 'contacts', 'show', 'house'])).recipient).toBe(real.house);
  }, 120_000);

  it('§ 8.2 MUST: `record add` refuses a changed key of the patient (checked against the keystore for the acting profile); a reader with a changed key is skipped with a warning (§ 1.5), never encrypted to', async () => {
    liar.victims.clear();
    liar.victims.add(addr.alice!.toLowerCase());
    const f = c.file('lab-own.txt', 'potassium 4.1\n');
    const own = await run('alice', ['record', 'add', f, '--patient', 'alice', '--type', 'lab', ...via(liar.url)]);
    expect(liar.lies()).toBeGreaterThan(0);
    expect(own.code, own.stderr + own.stdout).toBe(4);
    expect(own.json!.error!.message).toContain(addr.alice);
    // grey reads alice's labs (the world's grant); its key is known here, now swapped.
    liar.victims.clear();
    liar.victims.add(addr.grey!.toLowerCase());
    await c.ok([...c.as('alice'), 'whois', 'grey']);
    const rd = await run('alice', ['record', 'add', f, '--patient', 'alice', '--type', 'lab', ...via(liar.url)]);
    expect(rd.code, rd.stderr + rd.stdout).toBe(0);
    const warning = (rd.json!.data.warnings as string[]).find((w) => w.startsWith(`reader ${addr.grey} skipped`));
    expect(warning).toMatch(/changed.*emr contacts accept/);
    expect(rd.stderr).toContain(`reader ${addr.grey} skipped`);
  }, 120_000);

  it('§ 8.3: `contacts accept` pins the key the chain now shows; the other one is then refused', async () => {
    liar.victims.clear();
    liar.victims.add(addr.wilson!.toLowerCase());
    const acc = await run('alice', ['contacts', 'accept', 'wilson', ...via(liar.url)]);
    expect(acc.code, acc.stderr + acc.stdout).toBe(0);
    expect(acc.json!.data.previous.recipient).toBe(real.wilson);
    expect(acc.json!.data.recipient).not.toBe(real.wilson);
    // Now the honest endpoint's key is the "changed" one.
    const w = await run('alice', ['whois', 'wilson']);
    expect(w.code, w.stderr).toBe(4);
    expect(w.json!.error!.hint).toContain('emr contacts accept');
    const back = await run('alice', ['contacts', 'accept', 'wilson']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.json!.data.recipient).toBe(real.wilson);
  }, 120_000);

  it('§ 8.5: a local name is shown beside a remote address and accepted in its place; JSON fields are only added', async () => {
    const named = await c.ok([...c.as('alice'), 'contacts', 'name', remote.address, 'Dr Remote']);
    expect(named).toMatchObject({ address: remote.address, name: 'Dr Remote' });
    await c.ok([...c.as('alice'), 'grant', 'Dr Remote', '--types', 'lab', '--expires', '30d']);
    const list = await c.ok([...c.as('alice'), 'contacts', 'list']);
    const h = (list.contacts as Array<Record<string, unknown>>).find((x) => x.address === remote.address);
    expect(h).toMatchObject({ address: remote.address, name: 'Dr Remote', acceptedAt: null });
    expect(String(h!.fingerprint)).toMatch(/^SHA256:/);
    const gl = await c.ok([...c.as('alice'), 'grant', 'list']);
    const g = (gl.grants as Array<Record<string, unknown>>).find((x) => x.provider === remote.address);
    expect(g).toMatchObject({ provider: remote.address, name: null, contactName: 'Dr Remote' });
    const human = await emr([...c.as('alice'), 'grant', 'list']);
    expect(human.stdout).toContain('Dr Remote');
    expect((await c.ok([...c.as('alice'), 'whois', 'Dr Remote'])).contactName).toBe('Dr Remote');
    // The audit trail names it too (alice's grant to it), in its description.
    const audit = await emr([...c.as('alice'), 'audit']);
    expect(audit.stdout).toMatch(/Dr Remote/);
    // A name is not a profile's, nor another contact's.
    expect((await run('alice', ['contacts', 'name', 'house', 'Dr Remote'])).code).toBe(2);
    expect((await run('alice', ['contacts', 'name', remote.address, 'grey'])).code).toBe(2);
  }, 120_000);

  it('§ 8.2 MUST: `encrypt --to 0x…` refuses a changed key; a re-key leaves out a reader whose key changed, with a warning, and re-keys the rest', async () => {
    liar.victims.clear();
    // A remote party (pinned in § 8.5 above); a local profile's key comes from its keystore.
    liar.victims.add(remote.address.toLowerCase());
    const f = c.file('loose.txt', 'a loose note\n');
    const enc = await run('alice', ['encrypt', f, '--to', remote.address, '-o', join(c.home, 'loose.age'), ...via(liar.url)]);
    expect(enc.code, enc.stderr + enc.stdout).toBe(4);
    expect(enc.json!.error!.hint).toContain(`emr contacts accept ${remote.address}`);
    expect(existsSync(join(c.home, 'loose.age'))).toBe(false);
    // grey reads alice's labs; house was granted labs above. Revoking house re-keys them.
    liar.victims.clear();
    liar.victims.add(addr.grey!.toLowerCase());
    const rv = await run('alice', ['revoke', 'house', '--rekey', ...via(liar.url)]);
    expect(rv.code, rv.stderr + rv.stdout).toBe(0);
    expect((rv.json!.data.rekeyed as unknown[]).length).toBeGreaterThan(0);
    expect(rv.json!.data.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`reader ${addr.grey} skipped: .*changed`))]),
    );
  }, 120_000);

  it('§ 8.1 MUST: a contact book that is not well-formed or too large is refused (exit 4), never half-trusted', async () => {
    const file = join(c.home, 'contacts.json');
    // Well-formed, both key kinds (a post-quantum recipient has a second `1`: age1pq1…).
    const pq = generateIdentity('mlkem768x25519').recipient;
    writeFileSync(
      file,
      JSON.stringify({ version: 1, contacts: [{ address: addr.mallory, recipient: pq, firstSeen: '2026-01-01T00:00:00Z' }] }),
    );
    const good = await run('alice', ['contacts', 'list']);
    expect(good.code, good.stderr).toBe(0);
    expect(good.json!.data.contacts[0].recipient).toBe(pq);
    writeFileSync(file, `{"version":1,"contacts":[{"address":"${addr.mallory}","recipient":7,"firstSeen":"2026-01-01T00:00:00Z"}]}`);
    const bad = await run('alice', ['contacts', 'list']);
    expect(bad.code, bad.stderr).toBe(4);
    expect(bad.json!.error!.message).toContain('contacts.json');
    writeFileSync(file, `{"version":1,"contacts":{},"pad":"${'x'.repeat(9 << 20)}"}`);
    const big = await run('alice', ['contacts', 'list']);
    expect(big.code, big.stderr).toBe(4);
    expect(big.json!.error!.message).toMatch(/large/);
  }, 60_000);
});
