/**
 * Adversarial model test (issue #8, "beyond the list"): random sequences of every
 * state-changing call by every role — patients, verified, unverified and suspended
 * providers, an admin, an unregistered stranger — including raw calls the CLI never sends
 * (grants by non-patients, revokes of slots nobody holds, receipts for records one may not
 * read, relayed signatures voided by a revoke, ill-formed recipients, a zero-address admin),
 * checked against a model of who may read and write what: after every step `canRead`,
 * `canWrite` and `grantOf` agree with the model for every (actor, patient, type, record),
 * and every call succeeds exactly when the model says it may.
 *
 * Private anvil (the clock moves); one deployment; each run starts from an evm_snapshot.
 */

import { type Contract, type NonceManager, ZeroAddress } from 'ethers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentEpoch, nextNonce, relaySigned, signAction } from '../../src/chain/signed-actions.js';
import { type Actor, type ChainWorld, chainWorld, digest, privateChain, X25519_RECIPIENT } from '../helpers/world.js';

const HOUR = 3600;
const DAY = 24 * HOUR;
const TYPES = [0, 1, 2];
/** Clock edges closer than this to "now" are not asserted (a tx mines a block or two later). */
const EDGE = 90;

let node: Awaited<ReturnType<typeof privateChain>>;
let f: ChainWorld;
/** actors[0..1] patients, [2] verified provider, [3] provider to be suspended, [4] unverified provider, [5] stranger, [6] admin. */
let actors: Actor[];
let snapshot = '';

beforeAll(async () => {
  node = await privateChain();
  f = await chainWorld(node.url);
  const p0 = await f.patient();
  const p1 = await f.patient();
  const d0 = await f.provider();
  const d1 = await f.provider();
  const d2 = await f.provider({ verified: false });
  const stranger = await f.actor();
  actors = [p0, p1, d0, d1, d2, stranger, f.admin];
  snapshot = (await f.admin.chain.provider.send('evm_snapshot', [])) as string;
});
afterAll(async () => {
  await node?.stop();
});

// ── the model ──
type Role = 'patient' | 'provider' | 'none';
type Status = 'unverified' | 'verified' | 'suspended';
interface Slot {
  expiry: number;
  read: number;
  write: number;
  epoch: number;
  emergencyUntil: number;
  revokedAt: number;
}
interface Model {
  role: Role[];
  status: Status[];
  emergencyMask: number[];
  admins: Set<number>;
  slots: Map<string, Slot>; // `${patient}:${provider}` by actor index; providers may be any address
  recordGrants: Map<string, { expiry: number; epoch: number }>; // `${patient}:${reader}:${id}`
  records: { patient: number; type: number }[]; // id = index + 1
}
const emptySlot = (): Slot => ({ expiry: 0, read: 0, write: 0, epoch: 0, emergencyUntil: 0, revokedAt: 0 });
const slot = (m: Model, p: number, d: number) => m.slots.get(`${p}:${d}`) ?? emptySlot();
const setSlot = (m: Model, p: number, d: number, s: Slot) => m.slots.set(`${p}:${d}`, s);

function modelCanRead(m: Model, now: number, r: number, p: number, t: number, id: number): boolean {
  if (m.role[p] !== 'patient') return false;
  if (r === p) return true;
  if (m.role[r] === 'none' || m.status[r] === 'suspended') return false;
  const g = slot(m, p, r);
  if (g.expiry > now && (g.read >> t) & 1) return true;
  if (g.emergencyUntil > now && (m.emergencyMask[p]! >> t) & 1) return true;
  const rg = m.recordGrants.get(`${p}:${r}:${id}`);
  return id !== 0 && !!rg && rg.expiry > now && rg.epoch === g.epoch;
}
function modelCanWrite(m: Model, now: number, a: number, p: number, t: number): boolean {
  if (m.role[p] !== 'patient') return false;
  if (a === p) return true;
  if (m.role[a] !== 'provider' || m.status[a] !== 'verified') return false;
  const g = slot(m, p, a);
  return g.expiry > now && ((g.write >> t) & 1) === 1;
}
/** Any clock edge of this slot within EDGE seconds of now: outcomes there are not asserted. */
function nearEdge(m: Model, now: number): boolean {
  const edges: number[] = [];
  for (const s of m.slots.values()) edges.push(s.expiry, s.emergencyUntil, s.revokedAt ? s.revokedAt + DAY : 0);
  for (const rg of m.recordGrants.values()) edges.push(rg.expiry);
  return edges.some((e) => e !== 0 && Math.abs(e - now) < EDGE);
}

// ── the operations (caller and target are actor indexes) ──
const who = fc.nat(6);
const party = fc.nat(6);
const mask = fc.integer({ min: 0, max: 7 });
const opArb = fc.oneof(
  fc.record({ kind: fc.constant('grant' as const), by: who, to: party, read: mask, write: mask, hours: fc.integer({ min: -1, max: 30 }) }),
  fc.record({ kind: fc.constant('revoke' as const), by: who, to: party }),
  fc.record({ kind: fc.constant('grantRecords' as const), by: who, to: party, rec: fc.nat(5), hours: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('emergency' as const), by: who, patient: party }),
  fc.record({ kind: fc.constant('emergencyTypes' as const), by: who, mask }),
  fc.record({ kind: fc.constant('verify' as const), by: who, target: party }),
  fc.record({ kind: fc.constant('suspend' as const), by: who, target: party }),
  fc.record({ kind: fc.constant('addRecord' as const), by: who, patient: party, type: fc.constantFrom(...TYPES) }),
  fc.record({ kind: fc.constant('logAccess' as const), by: who, rec: fc.nat(5), patient: party, type: fc.constantFrom(...TYPES) }),
  fc.record({ kind: fc.constant('staleSignedGrant' as const), patient: fc.nat(1), to: fc.integer({ min: 2, max: 4 }) }),
  fc.record({
    kind: fc.constant('badRecipient' as const),
    by: who,
    recipient: fc.constantFrom('', 'age1', 'x'.repeat(62), X25519_RECIPIENT.toUpperCase(), `age1pq1${'q'.repeat(10)}`),
  }),
  fc.record({ kind: fc.constant('zeroAdmin' as const), by: who }),
  fc.record({ kind: fc.constant('jump' as const), hours: fc.constantFrom(1, 5, 13, 23, 25, 49) }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

async function now(): Promise<number> {
  return (await f.admin.chain.provider.getBlock('latest'))!.timestamp;
}
function as(i: number): Contract {
  return actors[i]!.chain.contract.connect(actors[i]!.chain.signer!) as Contract;
}
/** Sends; true when mined, false when the contract refused (any revert). */
async function attempt(i: number, fn: string, args: unknown[]): Promise<{ ok: boolean; time: number; logs: readonly unknown[] }> {
  try {
    const tx = await as(i).getFunction(fn)(...args);
    const r = await tx.wait();
    const b = await f.admin.chain.provider.getBlock(r.blockNumber);
    return { ok: r.status === 1, time: b!.timestamp, logs: r.logs };
  } catch (e) {
    const err = e as { code?: string; revert?: unknown; data?: unknown };
    // A refusal by the contract, not an infrastructure failure.
    if (err.code !== 'CALL_EXCEPTION') throw e;
    await (actors[i]!.chain.signer as NonceManager).reset();
    return { ok: false, time: 0, logs: [] };
  }
}

async function step(m: Model, op: Op): Promise<void> {
  const t0 = await now();
  const edge = nearEdge(m, t0);
  const agree = (ok: boolean, expected: boolean) => {
    if (!edge) expect(ok, `${JSON.stringify(op)} at ${t0}`).toBe(expected);
  };
  const addr = (i: number) => actors[i]!.address;
  switch (op.kind) {
    case 'grant': {
      const expiry = t0 + op.hours * HOUR + HOUR / 2;
      const expected =
        m.role[op.by] === 'patient' && op.to !== op.by && m.role[op.to] !== 'none' && (op.read | op.write) !== 0 && expiry > t0;
      const r = await attempt(op.by, 'grant', [addr(op.to), op.read, op.write, expiry, ZeroHash32]);
      agree(r.ok, expected);
      if (r.ok) setSlot(m, op.by, op.to, { ...slot(m, op.by, op.to), expiry, read: op.read, write: op.write });
      break;
    }
    case 'revoke': {
      // Anyone may call it on its own slot: a stranger or provider changes nothing anyone reads.
      const r = await attempt(op.by, 'revoke', [addr(op.to)]);
      agree(r.ok, true);
      if (r.ok) setSlot(m, op.by, op.to, { ...emptySlot(), epoch: (slot(m, op.by, op.to).epoch + 1) >>> 0, revokedAt: r.time });
      break;
    }
    case 'grantRecords': {
      const id = op.rec + 1;
      const expiry = t0 + op.hours * HOUR + HOUR / 2;
      const expected = m.role[op.by] === 'patient' && op.to !== op.by && m.role[op.to] !== 'none' && id <= m.records.length;
      const r = await attempt(op.by, 'grantRecords', [addr(op.to), [id], expiry, ZeroHash32]);
      agree(r.ok, expected);
      if (r.ok) m.recordGrants.set(`${op.by}:${op.to}:${id}`, { expiry, epoch: slot(m, op.by, op.to).epoch });
      break;
    }
    case 'emergency': {
      const s = slot(m, op.patient, op.by);
      const expected =
        m.role[op.by] === 'provider' &&
        m.status[op.by] === 'verified' &&
        m.role[op.patient] === 'patient' &&
        !(s.revokedAt && s.revokedAt + DAY > t0);
      const r = await attempt(op.by, 'openEmergency', [addr(op.patient), 'model']);
      agree(r.ok, expected);
      if (r.ok) setSlot(m, op.patient, op.by, { ...s, emergencyUntil: r.time + DAY });
      break;
    }
    case 'emergencyTypes': {
      const r = await attempt(op.by, 'setEmergencyTypes', [op.mask]);
      agree(r.ok, m.role[op.by] === 'patient');
      if (r.ok) m.emergencyMask[op.by] = op.mask;
      break;
    }
    case 'verify':
    case 'suspend': {
      const r = await attempt(op.by, op.kind === 'verify' ? 'verifyProvider' : 'suspendProvider', [addr(op.target)]);
      agree(r.ok, m.admins.has(op.by) && m.role[op.target] === 'provider');
      if (r.ok) m.status[op.target] = op.kind === 'verify' ? 'verified' : 'suspended';
      break;
    }
    case 'addRecord': {
      const r = await attempt(op.by, 'addRecord', [addr(op.patient), op.type, 0x55, digest(m.records.length + 1)]);
      agree(r.ok, modelCanWrite(m, t0, op.by, op.patient, op.type));
      if (r.ok) m.records.push({ patient: op.patient, type: op.type });
      break;
    }
    case 'logAccess': {
      // Raw receipts, lies included: the contract checks only the claimed (patient, type).
      const id = op.rec + 1;
      const r = await attempt(op.by, 'logAccess', [id, addr(op.patient), op.type]);
      agree(r.ok, id <= m.records.length && modelCanRead(m, t0, op.by, op.patient, op.type, id));
      break;
    }
    case 'staleSignedGrant': {
      // Signed now, voided by a revoke, relayed by a stranger: refused, access unchanged.
      const p = actors[op.patient]!;
      const signed = await signAction(p.wallet, {
        chainId: f.chainId,
        contract: f.contract,
        nonce: await nextNonce(p.chain, p.address),
        epoch: await currentEpoch(p.chain, p.address, addr(op.to)),
        deadline: t0 + DAY * 400,
        action: { kind: 'grant', provider: addr(op.to), readMask: 7, writeMask: 7, expiry: t0 + DAY * 365 },
      });
      const rv = await attempt(op.patient, 'revoke', [addr(op.to)]);
      expect(rv.ok).toBe(true);
      setSlot(m, op.patient, op.to, { ...emptySlot(), epoch: (slot(m, op.patient, op.to).epoch + 1) >>> 0, revokedAt: rv.time });
      await expect(relaySigned(actors[5]!.chain, signed)).rejects.toMatchObject({ details: { contractError: 'StaleEpoch' } });
      break;
    }
    case 'badRecipient': {
      const r = await attempt(op.by, 'register', [m.role[op.by] === 'provider' ? 2 : 1, op.recipient]);
      agree(r.ok, false);
      break;
    }
    case 'zeroAdmin': {
      const r = await attempt(op.by, 'addAdmin', [ZeroAddress]);
      agree(r.ok, false);
      // The last admin can never leave, whoever asks.
      const rm = await attempt(op.by, 'removeAdmin', [addr(6)]);
      agree(rm.ok, false);
      break;
    }
    case 'jump':
      await f.admin.chain.provider.send('evm_increaseTime', [op.hours * HOUR + 1234]);
      await f.admin.chain.provider.send('evm_mine', []);
      break;
  }
}

const ZeroHash32 = `0x${'00'.repeat(32)}`;

async function checkViews(m: Model): Promise<void> {
  const t = await now();
  if (nearEdge(m, t)) return;
  const c = f.admin.chain.contract;
  const checks: Promise<void>[] = [];
  const ids = [0, ...m.records.map((_, i) => i + 1)];
  for (const p of [0, 1]) {
    for (let r = 0; r < actors.length; r++) {
      const label = `reader ${r} patient ${p}`;
      checks.push(
        (c.getFunction('grantOf')(actors[p]!.address, actors[r]!.address) as Promise<bigint[]>).then((g) => {
          const s = slot(m, p, r);
          expect(g.map(Number), `grantOf ${label}`).toEqual([s.expiry, s.read, s.write, s.epoch, s.emergencyUntil]);
        }),
      );
      for (const type of TYPES) {
        checks.push(
          (c.getFunction('canWrite')(actors[r]!.address, actors[p]!.address, type) as Promise<boolean>).then((got) => {
            expect(got, `canWrite ${label} type ${type}`).toBe(modelCanWrite(m, t, r, p, type));
          }),
        );
        for (const id of ids) {
          checks.push(
            (c.getFunction('canRead')(actors[r]!.address, actors[p]!.address, type, id) as Promise<boolean>).then((got) => {
              expect(got, `canRead ${label} type ${type} id ${id}`).toBe(modelCanRead(m, t, r, p, type, id));
            }),
          );
        }
      }
    }
  }
  await Promise.all(checks);
}

describe('adversarial model of EmrAccess (issue #8)', () => {
  it('every call by every role succeeds exactly when the model allows; views agree after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
        await f.admin.chain.provider.send('evm_revert', [snapshot]);
        snapshot = (await f.admin.chain.provider.send('evm_snapshot', [])) as string;
        for (const a of actors) await (a.chain.signer as NonceManager).reset();
        const m: Model = {
          role: ['patient', 'patient', 'provider', 'provider', 'provider', 'none', 'none'],
          status: ['unverified', 'unverified', 'verified', 'verified', 'unverified', 'unverified', 'unverified'],
          emergencyMask: actors.map(() => 0),
          admins: new Set([6]),
          slots: new Map(),
          recordGrants: new Map(),
          records: [],
        };
        for (const op of ops) {
          await step(m, op);
          await checkViews(m);
        }
      }),
      { numRuns: 12 },
    );
  });
});
