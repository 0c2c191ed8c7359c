// docs/FHIR.md § 10: the AuditEvent mapping on hostile chain input (a configured contract may
// emit anything): bounded, and still valid FHIR R4 by the `fhir` library.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { type AuditInput, auditEventBundle, auditEventResource, MAX_IDS_PER_EVENT, MAX_TEXT } from '../../src/fhir/audit-event.js';

const { Fhir } = createRequire(import.meta.url)('fhir');
const fhir = new Fhir();
const errors = (r: unknown) =>
  fhir.validate(r, { errorOnUnexpected: true }).messages.filter((m: any) => m.severity === 'error' || m.severity === 'fatal');
const A = `0x${'11'.repeat(20)}`;
const P = `0x${'22'.repeat(20)}`;
const source = { chainId: '31337', contract: `0x${'33'.repeat(20)}` };
const ev = (kind: string, fields: AuditInput['fields']): AuditInput => ({
  kind,
  time: 1_800_000_000,
  blockNumber: 7,
  logIndex: 2,
  txHash: `0x${'ab'.repeat(32)}`,
  actor: A,
  patient: P,
  fields,
});

describe('AuditEvent mapping bounds (FHIR.md § 10.1)', () => {
  it('MUST: a RecordsGranted names at most 1,000 records and counts the rest; still valid', () => {
    const ids = Array.from({ length: MAX_IDS_PER_EVENT + 500 }, (_, i) => String(i + 1));
    const r: any = auditEventResource(ev('RecordsGranted', { patient: P, provider: A, ids, expiry: 1_900_000_000 }), source);
    expect(r.entity.filter((e: any) => e.what.identifier.system === 'urn:emr:record')).toHaveLength(MAX_IDS_PER_EVENT);
    const consent = r.entity.find((e: any) => e.what.identifier.system === 'urn:emr:consent');
    expect(consent.detail.find((d: any) => d.type === 'records-not-listed').valueString).toBe('500');
    expect(errors(r)).toEqual([]);
  });

  it('a reason is cut at 1,024 characters; an empty or blank one is left out (FHIR strings are never empty)', () => {
    const long: any = auditEventResource(
      ev('AccessRequested', { patient: P, provider: A, readMask: 1, reason: 'x'.repeat(50_000), requestId: '1' }),
      source,
    );
    expect(long.purposeOfEvent[0].text).toHaveLength(MAX_TEXT);
    for (const reason of ['', '   ']) {
      const r: any = auditEventResource(ev('AccessRequested', { patient: P, provider: A, readMask: 1, reason, requestId: '1' }), source);
      expect(r.purposeOfEvent).toBeUndefined();
      expect(errors(r)).toEqual([]);
    }
  });

  it('an expiry past year 9999 (uint40) is said in words, not thrown; an unknown event is Application Activity; the Bundle validates', () => {
    const far = ev('Granted', { patient: P, provider: A, readMask: 1, writeMask: 0, expiry: 2 ** 40 - 1 });
    const odd = { ...ev('SomethingNew', { x: 1 }), patient: null, logIndex: 3 };
    const b: any = auditEventBundle([far, odd], source, new Date(0));
    const grant = b.entry[0].resource.entity.find((e: any) => e.what.identifier.system === 'urn:emr:consent');
    expect(grant.detail.find((d: any) => d.type === 'expires').valueString).toBe('beyond 9999-12-31');
    expect(b.entry[1].resource).toMatchObject({
      type: { code: '110100' },
      subtype: [{ system: 'urn:emr:audit-event', code: 'something-new' }],
    });
    expect(b.entry[1].resource.action).toBeUndefined();
    expect(b.entry.map((e: any) => e.fullUrl)).toEqual([`urn:emr:audit:31337:${far.txHash}:2`, `urn:emr:audit:31337:${far.txHash}:3`]);
    expect(errors(b)).toEqual([]);
  });

  it('an empty trail is a Bundle without entry (FHIR JSON has no empty arrays)', () => {
    const b = auditEventBundle([], source, new Date(0));
    expect(b).toEqual({ resourceType: 'Bundle', type: 'collection', timestamp: '1970-01-01T00:00:00.000Z' });
    expect(errors(b)).toEqual([]);
  });
});
