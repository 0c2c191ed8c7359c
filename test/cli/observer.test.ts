// Issue 25 (docs/CONTRACT.md § Privacy): a chain observer — an RPC endpoint and the
// contract's address, no keystore — watches a scripted clinic day (three patients, record
// types including mental-health and genetic, writes, a batch, grants, a read, a sealed
// access request and its approval, emergency types and a break-glass opening, a dispense,
// a revoke) and tries to recover record types from every event, every transaction's
// calldata and the contract's storage (its views). It MUST learn none beyond what
// § Privacy lists as visible. Run on the devnet (anvil) and on a second EVM node
// (Hardhat 2, test/hardhat-node, as test/cli/second-evm.test.ts starts it).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interface } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { emrAbi } from '../../src/chain/abi.generated.js';
import { RECORD_TYPES } from '../../src/record-types.js';
import { emr, tempHome } from '../helpers/cli.js';
import { rpc, startHardhatNode } from '../helpers/hardhat-node.js';

const skipHardhat = process.env.EMR_SKIP_HARDHAT_NODE === '1';
/** Scratch directories of the days' record files, removed after the run. */
const works: string[] = [];

// ───────────────────────────── the observer: RPC only ─────────────────────────────

interface Observed {
  events: { name: string; args: Record<string, unknown> }[];
  calls: { name: string; args: Record<string, unknown> }[];
  /** Every string the chain shows: event and calldata strings. */
  strings: string[];
  /** Every type-slot field (records, receipts, dispenses) and mask (grants, emergency, requests, views). */
  slots: { what: string; patient: string; value: number }[];
  masks: { what: string; patient: string; value: number }[];
  /** Raw hex of every log's data and every transaction's input. */
  raw: string[];
}

const iface = new Interface(emrAbi);

function named(frag: { inputs: readonly { name: string }[] }, values: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(frag.inputs.map((p, i) => [p.name, values[i]]));
}

/** Decodes everything the contract ever logged or was sent, plus its views of every account seen. */
async function observe(rpcUrl: string, contract: string): Promise<Observed> {
  const o: Observed = { events: [], calls: [], strings: [], slots: [], masks: [], raw: [] };
  const logs = (await rpc(rpcUrl, 'eth_getLogs', [{ address: contract, fromBlock: '0x0', toBlock: 'latest' }])) as {
    topics: string[];
    data: string;
  }[];
  for (const l of logs) {
    const ev = iface.parseLog(l);
    expect(ev, `an undecodable log: ${l.topics[0]}`).not.toBeNull();
    o.events.push({ name: ev!.name, args: named(ev!.fragment, ev!.args) });
    o.raw.push(l.data);
  }
  const head = Number(await rpc(rpcUrl, 'eth_blockNumber'));
  for (let b = 0; b <= head; b++) {
    const block = (await rpc(rpcUrl, 'eth_getBlockByNumber', [`0x${b.toString(16)}`, true])) as { transactions: any[] };
    for (const tx of block.transactions) {
      if (String(tx.to ?? '').toLowerCase() !== contract.toLowerCase()) continue;
      const call = iface.parseTransaction({ data: tx.input, value: BigInt(tx.value) });
      expect(call, `an undecodable call: ${String(tx.input).slice(0, 10)}`).not.toBeNull();
      o.calls.push({ name: call!.name, args: named(call!.fragment, call!.args) });
      o.raw.push(tx.input);
    }
  }
  const pushAll = (src: { name: string; args: Record<string, unknown> }) => {
    for (const v of Object.values(src.args)) if (typeof v === 'string' && !/^0x[0-9a-fA-F]*$/.test(v)) o.strings.push(v);
    const a = src.args;
    const patient = String(a.patient ?? a.account ?? '');
    if (a.recordType !== undefined) o.slots.push({ what: `${src.name}.recordType`, patient, value: Number(a.recordType) });
    if (src.name === 'PrescriptionDispensed' || src.name === 'dispensePrescription')
      o.slots.push({ what: `${src.name}.slot`, patient, value: Number(a.slot) });
    for (const k of ['readMask', 'writeMask', 'mask'])
      if (a[k] !== undefined)
        o.masks.push({
          what: `${src.name}.${k}`,
          patient: String(a.patient ?? (src.name === 'setEmergencyTypes' ? '' : '')),
          value: Number(a[k]),
        });
  };
  for (const e of o.events) pushAll(e);
  for (const c of o.calls) pushAll(c);
  // Storage, through the views (the same words a storage read returns): every patient's
  // emergency mask and every (patient, provider) grant's masks.
  const patients = new Set(o.events.filter((e) => e.name === 'Registered' && Number(e.args.role) === 1).map((e) => String(e.args.account)));
  const providers = new Set(
    o.events.filter((e) => e.name === 'Registered' && Number(e.args.role) === 2).map((e) => String(e.args.account)),
  );
  const view = async (name: string, args: unknown[]) =>
    iface.decodeFunctionResult(
      name,
      await rpc(rpcUrl, 'eth_call', [{ to: contract, data: iface.encodeFunctionData(name, args) }, 'latest']),
    );
  for (const p of patients) {
    o.masks.push({ what: 'accountOf.emergencyTypes', patient: p, value: Number((await view('accountOf', [p]))[4]) });
    for (const q of providers) {
      const g = await view('grantOf', [p, q]);
      o.masks.push({ what: 'grantOf.readMask', patient: p, value: Number(g[1]) });
      o.masks.push({ what: 'grantOf.writeMask', patient: p, value: Number(g[2]) });
    }
  }
  return o;
}

const weight = (m: number) => {
  let n = 0;
  for (let i = 0; i < 32; i++) n += (m >>> i) & 1;
  return n;
};

// ───────────────────────────── the clinic day: the CLI ─────────────────────────────

interface Day {
  /** Every record added, as its author said it: id → (patient address, type). */
  truth: Map<string, { patient: string; type: string }>;
  addr: Record<string, string>;
}

async function dayWith(
  ok: (args: string[]) => Promise<any>,
  as: (who: string) => string[],
  addr: Record<string, string>,
  fund?: (address: string) => Promise<void>,
): Promise<Map<string, { patient: string; type: string }>> {
  const truth = new Map<string, { patient: string; type: string }>();
  // Record files live outside the emr home (a batch refuses the home's own files).
  const work = mkdtempSync(join(tmpdir(), 'emr-observer-'));
  works.push(work);
  const file = (name: string, text: string) => {
    const p = join(work, name);
    writeFileSync(p, text);
    return p;
  };
  const add = async (who: string, patient: string, type: string, text: string) => {
    const rec = (await ok([...as(who), 'record', 'add', file(`${who}-${truth.size}.txt`, text), '--patient', patient, '--type', type]))
      .records[0];
    truth.set(String(rec.id), { patient: addr[patient]!, type });
    return String(rec.id);
  };
  if (fund) for (const a of Object.values(addr)) await fund(a);
  for (const n of ['alice', 'bob', 'carol', 'grey', 'house', 'er']) await ok([...as(n), 'register']);
  for (const n of ['grey', 'house', 'er']) await ok([...as('admin'), 'admin', 'verify', n]);

  // Morning: the GP sees alice (labs and a mental-health note), the geneticist bob.
  await ok([...as('alice'), 'grant', 'grey', '--types', 'lab,mental-health', '--write', '--expires', '30d']);
  await add('grey', 'alice', 'lab', 'CBC: Hb 13.9 g/dL');
  await add('grey', 'alice', 'mental-health', 'PHQ-9: 14, moderate depression');
  await add('grey', 'alice', 'lab', 'TSH 2.1 mU/L');
  await ok([...as('bob'), 'grant', 'house', '--types', 'genetic,prescription,lab', '--write', '--expires', '30d']);
  const genetic = await add('house', 'bob', 'genetic', 'BRCA1 c.68_69delAG heterozygous');
  const rx = await add('house', 'bob', 'prescription', 'tamoxifen 20 mg daily');
  // A batch of lab results from the hospital's job.
  const manifest = file(
    'day.csv',
    `file,patient,type,title\n${file('b1.txt', 'CA 15-3: 21 U/mL')},bob,lab,CA 15-3\n${file('b2.txt', 'CEA 2.0 ng/mL')},bob,lab,CEA\n`,
  );
  const batch = await ok([...as('house'), 'batch', 'add', manifest, '--progress', 'none']);
  for (const r of batch.rows) truth.set(String(r.id), { patient: addr.bob!, type: 'lab' });
  // Patients write their own too.
  await add('carol', 'carol', 'note', 'my headache diary');
  await add('carol', 'carol', 'genetic', 'consumer genome test');
  // A read, with its receipt.
  await ok([...as('house'), 'fetch', genetic, '-o', join(work, 'genetic-copy.txt')]);
  // Afternoon: alice sets emergency types; the ER opens break-glass.
  await ok([...as('alice'), 'emergency', 'types', 'allergy,mental-health', '--no-apply-existing']);
  await ok([...as('er'), 'emergency', 'open', 'alice', '--reason', 'unresponsive on arrival']);
  // The ER doctor asks bob for his genetic results; bob approves.
  const req = await ok([...as('er'), 'access', 'request', 'bob', '--types', 'genetic', '--reason', 'family history']);
  await ok([...as('bob'), 'access', 'approve', req.requestId, '--expires', '1d']);
  // The pharmacy (house holds prescription) dispenses; alice revokes the GP.
  await ok([...as('house'), 'prescription', 'dispense', rx]);
  await ok([...as('alice'), 'revoke', 'grey']);
  // What the patients see, with their keys: every type by name (audit and lists stay complete).
  const list = (await ok([...as('alice'), 'record', 'list'])).records as { id: string; type: string }[];
  expect(list.map((r) => r.type).sort()).toEqual(['lab', 'lab', 'mental-health']);
  const trail = (await ok([...as('bob'), 'audit'])).events as { event: string; details: Record<string, unknown> }[];
  expect(trail.filter((e) => e.event === 'record-added').map((e) => e.details.type)).toEqual(
    expect.arrayContaining(['genetic', 'prescription', 'lab']),
  );
  expect(trail.find((e) => e.event === 'record-accessed')?.details.type).toBe('genetic');
  const requests = (await ok([...as('bob'), 'access', 'list', '--all'])).requests as { types: string[]; reason: string }[];
  expect(requests).toEqual([expect.objectContaining({ types: ['genetic'], reason: 'family history' })]);
  return truth;
}

/** What § Privacy promises about the day as the observer saw it. */
function judge(o: Observed, day: Day): void {
  // 1. Every call and event decoded (the observer missed nothing), and the day is there.
  expect(o.events.filter((e) => e.name === 'RecordAdded')).toHaveLength(day.truth.size);
  expect(o.calls.map((c) => c.name)).toEqual(
    expect.arrayContaining([
      'addRecord',
      'addRecords',
      'grant',
      'revoke',
      'logAccess',
      'setEmergencyTypes',
      'openEmergency',
      'requestAccess',
      'approveRequestAs',
      'dispensePrescription',
    ]),
  );
  // 2. No type name in any string the chain holds: reasons, recipients, sealed requests.
  for (const s of o.strings) {
    if (s.startsWith('emr-sealed-1:')) {
      expect(s.slice('emr-sealed-1:'.length)).toMatch(/^[A-Za-z0-9+/]+=*$/);
      continue;
    }
    for (const t of RECORD_TYPES) expect(s.toLowerCase().split(/[^a-z-]+/), `"${s}" names a type`).not.toContain(t);
  }
  // …nor in any raw byte string (UTF-8), outside the sealed request's base64.
  for (const hex of o.raw) {
    const text = Buffer.from(hex.slice(2), 'hex')
      .toString('latin1')
      .replace(/emr-sealed-1:[A-Za-z0-9+/=]+/g, '');
    for (const t of ['mental-health', 'genetic', 'prescription', 'imaging']) expect(text).not.toContain(t);
  }
  // 3. Masks: empty, the sealed request's every-slot mask, or padded to 16 bits — a grant of
  //    one type and one of three look alike.
  for (const m of o.masks) expect([0, 16, 32], `${m.what} = ${m.value.toString(2)}`).toContain(weight(m.value));
  // 4. The version-1 reading (slot k = RECORD_TYPES[k]) is the observer's best public table:
  //    it recovers the type of a record only where the patient's secret order happens to
  //    put it there (1 in 32 per type), so not the day's records.
  const added = o.events.filter((e) => e.name === 'RecordAdded');
  const right = added.filter((e) => RECORD_TYPES[Number(e.args.recordType)] === day.truth.get(String(e.args.id))?.type);
  expect(right.length).toBeLessThan(added.length / 2);
  // 5. A sensitive type is no constant slot: the genetic records of bob and carol (two
  //    patients) and their lab/note slots are each patient's own; the receipt and the
  //    dispense name only the record's own (already public) slot.
  const slotOf = (id: string) => Number(added.find((e) => String(e.args.id) === id)!.args.recordType);
  for (const s of o.slots.filter((x) => x.what.startsWith('RecordAccessed') || x.what.startsWith('PrescriptionDispensed'))) {
    expect(o.slots.some((r) => r.what === 'RecordAdded.recordType' && r.value === s.value && r.patient === s.patient)).toBe(true);
  }
  expect(slotOf([...day.truth].find(([, v]) => v.type === 'genetic')![0])).toBeGreaterThanOrEqual(0);
}

// ───────────────────────────── the two chains ─────────────────────────────

describe('issue 25: a chain observer learns no record type (CONTRACT.md § Privacy)', () => {
  const homes: ReturnType<typeof tempHome>[] = [];
  let node: ChildProcess | undefined;
  afterAll(async () => {
    for (const w of works) rmSync(w, { recursive: true, force: true });
    for (const t of homes) {
      await emr(['--home', t.home, 'devnet', 'down']).catch(() => undefined);
      rmSync(t.home, { recursive: true, force: true });
    }
    if (node && node.exitCode === null) {
      const exited = new Promise((r) => node!.once('exit', r));
      node.kill('SIGTERM');
      const timer = setTimeout(() => node!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }, 60_000);

  it('MUST: on the devnet (anvil) the observer recovers no type, no category, and sees padded masks only', async () => {
    const t = tempHome();
    homes.push(t);
    const pwAdmin = t.pw('admin');
    // The devnet needs its admin first: keygen and `devnet up` before the day.
    const r = await emr(['--home', t.home, '--password-file', pwAdmin, 'keygen', '--name', 'admin0', '--role', 'admin', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const up = await emr(['--home', t.home, '--profile', 'admin0', '--password-file', pwAdmin, 'devnet', 'up', '--json']);
    expect(up.code, up.stderr).toBe(0);
    const day = await clinicDayWithAdmin(t, [], 'admin0', pwAdmin);
    const status = (await emr(['--home', t.home, 'devnet', 'status', '--json'])).json!.data;
    judge(await observe(status.rpcUrl, status.contract), day);
  }, 900_000);

  it.skipIf(skipHardhat)(
    'MUST: on a second EVM node (Hardhat 2) the observer learns the same nothing',
    async () => {
      const t = tempHome();
      homes.push(t);
      const started = await startHardhatNode(t.home);
      node = started.child;
      const nodeUrl = started.url;
      const fund = async (to: string) => {
        const [from] = (await rpc(nodeUrl, 'eth_accounts')) as string[];
        const hash = await rpc(nodeUrl, 'eth_sendTransaction', [{ from, to, value: `0x${(10n * 10n ** 18n).toString(16)}` }]);
        for (let i = 0; i < 100 && !(await rpc(nodeUrl, 'eth_getTransactionReceipt', [hash])); i++)
          await new Promise((r) => setTimeout(r, 100));
      };
      // Keys first, then deploy as the admin (funded), then the day with --rpc-url/--contract.
      const pwAdmin = t.pw('deployer');
      const k = await emr(['--home', t.home, '--password-file', pwAdmin, 'keygen', '--name', 'deployer', '--role', 'admin', '--json']);
      expect(k.code, k.stderr).toBe(0);
      await fund(k.json!.data.address);
      const d = await emr([
        '--home',
        t.home,
        '--profile',
        'deployer',
        '--password-file',
        pwAdmin,
        '--rpc-url',
        nodeUrl,
        'admin',
        'deploy',
        '--json',
      ]);
      expect(d.code, d.stderr + d.stdout).toBe(0);
      const contract = d.json!.data.contract as string;
      const day = await clinicDayWithAdmin(t, ['--rpc-url', nodeUrl, '--contract', contract], 'deployer', pwAdmin, fund);
      judge(await observe(nodeUrl, contract), day);
    },
    900_000,
  );
});

async function clinicDayWithAdmin(
  t: ReturnType<typeof tempHome>,
  chainArgs: string[],
  adminProfile: string,
  pwAdmin: string,
  fund?: (address: string) => Promise<void>,
): Promise<Day> {
  const pw: Record<string, string> = { admin: pwAdmin };
  const addr: Record<string, string> = {};
  const as = (who: string) =>
    who === 'admin'
      ? ['--home', t.home, '--profile', adminProfile, '--password-file', pwAdmin, ...chainArgs]
      : ['--home', t.home, '--profile', who, '--password-file', pw[who]!, ...chainArgs];
  const ok = async (args: string[]) => {
    const r = await emr([...args, '--json']);
    expect(r.code, `${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(0);
    return r.json!.data;
  };
  const roles = { alice: 'patient', bob: 'patient', carol: 'patient', grey: 'provider', house: 'provider', er: 'provider' };
  for (const [n, role] of Object.entries(roles)) {
    pw[n] = t.pw(n);
    addr[n] = (await ok(['--home', t.home, '--password-file', pw[n]!, 'keygen', '--name', n, '--role', role])).address;
  }
  return { addr, truth: await dayWith(ok, as, addr, fund) };
}
