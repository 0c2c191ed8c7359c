// The typed contract client (src/chain/abi.ts): the generated ABI is the compiled
// contract's, and tsc refuses a call the contract does not have. The type-level checks
// below run in `tsc -p tsconfig.test.json` (npm test's pretest), not in vitest.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_KINDS, type AuditKind } from '../../src/audit-kinds.js';
import { emrAbi, emrAbiSourceDigest } from '../../src/chain/abi.generated.js';
import type { EventArgs, EventName, FunctionArgs, FunctionResult, ReadName, WriteName } from '../../src/chain/abi.js';
import { loadArtifact, packageRoot } from '../../src/chain/artifacts.js';
import { queryEvents } from '../../src/chain/logs.js';
import { read } from '../../src/chain/read.js';
import { eventOf, type SentTxWithLogs, send } from '../../src/chain/send.js';
import type { EmrChain } from '../../src/chain/types.js';

const root = packageRoot();

describe('generated ABI (scripts/gen-abi.mjs)', () => {
  it('equals the ABI of the compiled artifact', () => {
    expect(emrAbi).toEqual(loadArtifact('EmrAccess').abi);
  });

  it('was generated from the contract sources as they are now (edit the contract → build)', () => {
    // The digest scripts/gen-abi.mjs records: sha256 of `<name>\0<content>\0` per contracts/*.sol, by name.
    const h = createHash('sha256');
    const dir = join(root, 'contracts');
    for (const f of readdirSync(dir)
      .filter((n) => n.endsWith('.sol'))
      .sort()) {
      h.update(`${f}\0`);
      h.update(readFileSync(join(dir, f)));
      h.update('\0');
    }
    expect(emrAbiSourceDigest).toBe(h.digest('hex'));
  });

  it('is what the generator writes for the current artifact (--check)', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts/gen-abi.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('audit event list (src/audit-kinds.ts)', () => {
  it('names every contract event, and only those (the audit and FHIR tables are keyed by it)', () => {
    const events = emrAbi.filter((x) => x.type === 'event').map((x) => (x as { name: string }).name);
    expect([...AUDIT_KINDS].sort()).toEqual(events.sort());
  });
});

// ---- type level: compiled by tsc, never called ----
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

function typeChecks(chain: EmrChain, sent: SentTxWithLogs): void {
  assertType<Equal<AuditKind, EventName>>();
  assertType<Equal<FunctionResult<'grantOf'>, readonly [bigint, bigint, bigint, bigint, bigint]>>();
  assertType<Equal<FunctionResult<'isAdmin'>, boolean>>();
  assertType<Equal<FunctionArgs<'revoke'>, readonly [string]>>();
  assertType<Equal<EventArgs<'RecordAdded'>, readonly [bigint, string, string, bigint, bigint, string]>>();
  assertType<'grant' extends WriteName ? true : false>();
  assertType<'grant' extends ReadName ? false : true>();
  assertType<'RecordAdded' extends EventName ? true : false>();

  void send(chain, 'grant', ['0x0000000000000000000000000000000000000001', 1, 0, 1n, `0x${'00'.repeat(32)}`]);
  // @ts-expect-error a misspelt function name
  void send(chain, 'grnat', ['0x0000000000000000000000000000000000000001', 1, 0, 1n, `0x${'00'.repeat(32)}`]);
  // @ts-expect-error a wrong argument count (grant takes five)
  void send(chain, 'grant', ['0x0000000000000000000000000000000000000001', 1, 0, 1n]);
  // @ts-expect-error a wrong argument type (readMask is a uint32, not a string)
  void send(chain, 'grant', ['0x0000000000000000000000000000000000000001', 'all', 0, 1n, `0x${'00'.repeat(32)}`]);
  // @ts-expect-error a view function is not sent as a transaction
  void send(chain, 'isAdmin', ['0x0000000000000000000000000000000000000001']);
  // @ts-expect-error a state-changing function is not read
  void read(chain, 'revoke', ['0x0000000000000000000000000000000000000001']);
  // @ts-expect-error an event the contract does not emit
  void eventOf(sent, 'RecordDeleted');
  // @ts-expect-error an event name in a log query is checked too
  void queryEvents(chain, { names: ['Grant'] });
  void (async () => {
    const ok: boolean = await read(chain, 'canWrite', [
      '0x0000000000000000000000000000000000000001',
      '0x0000000000000000000000000000000000000002',
      1,
    ]);
    // @ts-expect-error the result type comes from the ABI: canRead answers a boolean
    const n: bigint = await read(chain, 'canRead', [
      '0x0000000000000000000000000000000000000001',
      '0x0000000000000000000000000000000000000002',
      1,
      0n,
    ]);
    const id: bigint = eventOf(sent, 'RecordAdded').args[0];
    return [ok, n, id];
  });
}
void typeChecks;
