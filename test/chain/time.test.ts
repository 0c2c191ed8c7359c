/**
 * Tests that move the clock run on a private anvil: evm_increaseTime is global to a
 * node and would disturb other files sharing the global one.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRecord } from '../../src/chain/add-record.js';
import { grant } from '../../src/chain/grant.js';
import { grantRecords } from '../../src/chain/grant-records.js';
import { canRead } from '../../src/chain/grants.js';
import { logAccess } from '../../src/chain/log-access.js';
import { openEmergency } from '../../src/chain/open-emergency.js';
import { revoke } from '../../src/chain/revoke.js';
import { setEmergencyTypes } from '../../src/chain/set-emergency-types.js';
import { type Actor, type ChainWorld, chainWorld, digest, increaseTime, privateChain } from '../helpers/world.js';

const HOUR = 3600;
let node: Awaited<ReturnType<typeof privateChain>>;
let f: ChainWorld;
let providers: Actor[];

beforeAll(async () => {
  node = await privateChain();
  f = await chainWorld(node.url);
  providers = [await f.provider(), await f.provider(), await f.provider()];
});
afterAll(async () => {
  await node?.stop();
});

describe('expiry', () => {
  it('an expired grant reads, writes and logs nothing; an emergency closes after its window', async () => {
    const p = await f.patient();
    const [doc, er] = providers as [Actor, Actor];
    const { id } = await addRecord(p.chain, { patient: p.address, recordType: 1, cidCodec: 0x55, digest: digest(1) });
    await grant(p.chain, { provider: doc.address, readMask: 2, writeMask: 2, expiry: (await f.now()) + HOUR });
    await setEmergencyTypes(p.chain, { mask: 2 });
    await openEmergency(er.chain, { patient: p.address, reason: 'ER' });
    await logAccess(doc.chain, { recordId: id, patient: p.address, recordType: 1 });
    await addRecord(doc.chain, { patient: p.address, recordType: 1, cidCodec: 0x55, digest: digest(2) });
    await increaseTime(node.url, 2 * HOUR);
    expect(await canRead(doc.chain, { reader: doc.address, patient: p.address, recordType: 1 })).toBe(false);
    await expect(logAccess(doc.chain, { recordId: id, patient: p.address, recordType: 1 })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
    });
    await expect(addRecord(doc.chain, { patient: p.address, recordType: 1, cidCodec: 0x55, digest: digest(3) })).rejects.toMatchObject({
      details: { contractError: 'NotAuthorized' },
    });
    expect(await canRead(er.chain, { reader: er.address, patient: p.address, recordType: 1 })).toBe(true);
    await increaseTime(node.url, 23 * HOUR);
    expect(await canRead(er.chain, { reader: er.address, patient: p.address, recordType: 1 })).toBe(false);
  });
});

// ── property: the contract agrees with a 20-line model of who may read what ──

type Op =
  | { kind: 'grant'; d: number; mask: number; hours: number }
  | { kind: 'grantRecords'; d: number; r: number; hours: number }
  | { kind: 'revoke'; d: number }
  | { kind: 'emergency'; d: number }
  | { kind: 'emergencyTypes'; mask: number }
  | { kind: 'jump'; hours: number };

// Expiries sit on half hours and jumps on whole hours, so no check lands within a
// few seconds of an expiry (block times drift by a second per transaction).
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('grant' as const),
    d: fc.nat(2),
    mask: fc.integer({ min: 1, max: 7 }),
    hours: fc.integer({ min: 0, max: 48 }),
  }),
  fc.record({ kind: fc.constant('grantRecords' as const), d: fc.nat(2), r: fc.nat(1), hours: fc.integer({ min: 0, max: 48 }) }),
  fc.record({ kind: fc.constant('revoke' as const), d: fc.nat(2) }),
  fc.record({ kind: fc.constant('emergency' as const), d: fc.nat(2) }),
  fc.record({ kind: fc.constant('emergencyTypes' as const), mask: fc.nat(7) }),
  fc.record({ kind: fc.constant('jump' as const), hours: fc.integer({ min: 1, max: 30 }) }),
);

interface Model {
  grants: { expiry: number; read: number; epoch: number; emergencyUntil: number; revokedAt: number }[];
  recordGrants: Map<string, { expiry: number; epoch: number }>;
  emergencyMask: number;
}

function modelReads(m: Model, now: number, d: number, t: number, r: bigint): boolean {
  const g = m.grants[d]!;
  if (g.expiry > now && (g.read >> t) & 1) return true;
  if (g.emergencyUntil > now && (m.emergencyMask >> t) & 1) return true;
  const rg = r === 0n ? undefined : m.recordGrants.get(`${d}:${r}`);
  return rg !== undefined && rg.expiry > now && rg.epoch === g.epoch;
}

describe('property: canRead matches the model', () => {
  it('over random grants, record grants, revokes, emergencies and time jumps', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
        const p = await f.patient();
        const ids = [
          (await addRecord(p.chain, { patient: p.address, recordType: 0, cidCodec: 0x55, digest: digest(1) })).id,
          (await addRecord(p.chain, { patient: p.address, recordType: 2, cidCodec: 0x55, digest: digest(2) })).id,
        ];
        const m: Model = {
          grants: providers.map(() => ({ expiry: 0, read: 0, epoch: 0, emergencyUntil: 0, revokedAt: 0 })),
          recordGrants: new Map(),
          emergencyMask: 0,
        };
        for (const op of ops) {
          const now = await f.now();
          switch (op.kind) {
            case 'grant': {
              const expiry = now + op.hours * HOUR + HOUR / 2;
              await grant(p.chain, { provider: providers[op.d]!.address, readMask: op.mask, expiry });
              Object.assign(m.grants[op.d]!, { expiry, read: op.mask });
              break;
            }
            case 'grantRecords': {
              const expiry = now + op.hours * HOUR + HOUR / 2;
              await grantRecords(p.chain, { provider: providers[op.d]!.address, ids: [ids[op.r]!], expiry });
              m.recordGrants.set(`${op.d}:${ids[op.r]}`, { expiry, epoch: m.grants[op.d]!.epoch });
              break;
            }
            case 'revoke':
              await revoke(p.chain, { provider: providers[op.d]!.address });
              m.grants[op.d] = { expiry: 0, read: 0, epoch: m.grants[op.d]!.epoch + 1, emergencyUntil: 0, revokedAt: await f.now() };
              break;
            case 'emergency': {
              // CONTRACT.md § Emergency: no reopening within 24 h of the patient's revoke.
              const g = m.grants[op.d]!;
              const closedUntil = g.revokedAt ? g.revokedAt + 24 * HOUR : 0;
              const nearEdge = g.revokedAt !== 0 && Math.abs(closedUntil - now) < 60; // block time vs. our clock
              try {
                const { expiresAt } = await openEmergency(providers[op.d]!.chain, { patient: p.address, reason: 'property' });
                if (!nearEdge) expect(closedUntil > now, 'emergency reopened within 24 h of a revoke').toBe(false);
                g.emergencyUntil = expiresAt;
              } catch (e) {
                if ((e as { details?: { contractError?: string } }).details?.contractError !== 'EmergencyClosedByPatient') throw e;
                if (!nearEdge) expect(closedUntil > now, 'emergency refused without a recent revoke').toBe(true);
              }
              break;
            }
            case 'emergencyTypes':
              await setEmergencyTypes(p.chain, { mask: op.mask });
              m.emergencyMask = op.mask;
              break;
            case 'jump':
              await increaseTime(node.url, op.hours * HOUR);
              break;
          }
          const at = await f.now();
          const checks: Promise<void>[] = [];
          for (let d = 0; d < providers.length; d++) {
            for (const t of [0, 1, 2]) {
              for (const r of [0n, ...ids]) {
                checks.push(
                  canRead(p.chain, { reader: providers[d]!.address, patient: p.address, recordType: t, recordId: r }).then((got) => {
                    expect(got, `${JSON.stringify(op)} d=${d} t=${t} r=${r}`).toBe(modelReads(m, at, d, t, r));
                  }),
                );
              }
            }
          }
          await Promise.all(checks);
        }
      }),
      { numRuns: 20 },
    );
  });
});
