/**
 * The audit trail: every state change of the contract is an event (CONTRACT.md
 * § Events), so "who added, granted, revoked, fetched what, and when" is a log query.
 */
import type { EventFragment } from 'ethers';
import type { AuditEvent, AuditKind, AuditValue } from '../audit-kinds.js';
import { toChainError } from './errors.js';
import { addressTopic, blockTimes, type ChainEvent, queryEvents } from './logs.js';
import { parseAddress } from './params.js';
import { checkReceipts } from './receipts.js';
import type { EmrChain } from './types.js';

/** For each event: which argument is the patient it concerns and which is the actor. */
const SHAPE: Readonly<Record<AuditKind, { patient?: string; actor: string }>> = {
  Registered: { patient: 'account', actor: 'account' },
  RecordAdded: { patient: 'patient', actor: 'author' },
  RecordRekeyed: { patient: 'patient', actor: 'patient' },
  Granted: { patient: 'patient', actor: 'patient' },
  RecordsGranted: { patient: 'patient', actor: 'patient' },
  Revoked: { patient: 'patient', actor: 'patient' },
  AccessRequested: { patient: 'patient', actor: 'provider' },
  RequestApproved: { patient: 'patient', actor: 'patient' },
  RequestDenied: { patient: 'patient', actor: 'patient' },
  EmergencyOpened: { patient: 'patient', actor: 'provider' },
  EmergencyTypesSet: { patient: 'patient', actor: 'patient' },
  RecordAccessed: { patient: 'patient', actor: 'reader' },
  AdminAdded: { actor: 'by' },
  AdminRemoved: { actor: 'by' },
  ProviderVerified: { actor: 'by' },
  ProviderSuspended: { actor: 'by' },
  EmergencyRecipientSet: { actor: 'by' },
  EmergencyKeysReleased: { patient: 'patient', actor: 'by' },
  RecordVoided: { patient: 'patient', actor: 'by' },
  PrescriptionDispensed: { patient: 'patient', actor: 'by' },
  OrgCreated: { actor: 'by' },
  OrgAdminSet: { actor: 'by' },
  OrgMemberAdded: { actor: 'by' },
  OrgMemberRemoved: { actor: 'by' },
  OrgGranted: { patient: 'patient', actor: 'patient' },
  OrgRevoked: { patient: 'patient', actor: 'patient' },
  RecordErased: { patient: 'patient', actor: 'patient' },
};

export type { AuditEvent, AuditValue };

function plain(v: unknown): AuditValue {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v) || (v && typeof v === 'object' && 'length' in (v as object))) {
    return [...(v as Iterable<unknown>)].map((x) => String(plain(x)));
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return String(v);
}

function toAudit(chain: EmrChain, ev: ChainEvent, time: number): AuditEvent {
  const frag = chain.iface.getEvent(ev.name) as EventFragment;
  const fields: Record<string, AuditValue> = {};
  frag.inputs.forEach((input, i) => {
    fields[input.name] = plain(ev.args[i]);
  });
  const shape = SHAPE[ev.name as AuditKind] ?? { actor: '' };
  return {
    kind: ev.name,
    time,
    blockNumber: ev.blockNumber,
    logIndex: ev.logIndex,
    txHash: ev.txHash,
    actor: shape.actor ? String(fields[shape.actor]) : '',
    patient: shape.patient ? String(fields[shape.patient]) : null,
    fields,
  };
}

export interface AuditQuery {
  patient?: string;
  /** The patient's prescription slot, when the reader holds the type key (CONTRACT.md § Privacy). */
  prescriptionSlot?: (patient: string) => number | undefined;
  fromBlock?: number;
  toBlock?: number;
}

/** Every event touching `patient` (or every event), oldest first, time-stamped. */
export async function auditEvents(chain: EmrChain, query: AuditQuery = {}): Promise<AuditEvent[]> {
  const range = { fromBlock: query.fromBlock ?? chain.fromBlock, toBlock: query.toBlock ?? ('latest' as const) };
  // A start after the head (`emr audit --since <future block>`) has no events yet; nodes
  // refuse such a log range outright (anvil: an uncoalescable error → exit 6) instead.
  if (query.fromBlock !== undefined && query.toBlock === undefined) {
    let head: number;
    try {
      head = await chain.provider.getBlockNumber();
    } catch (e) {
      throw toChainError(e, chain.iface);
    }
    if (query.fromBlock > head) return [];
  }
  let events: ChainEvent[];
  let patient: string | null = null;
  if (query.patient) {
    patient = parseAddress(query.patient, 'patient');
    const t = addressTopic(patient);
    // The patient is topic1 in some events and topic2 in others (see SHAPE).
    const [a, b] = await Promise.all([queryEvents(chain, { ...range, topics: [t] }), queryEvents(chain, { ...range, topics: [null, t] })]);
    events = [...a, ...b].sort((x, y) => x.blockNumber - y.blockNumber || x.logIndex - y.logIndex);
  } else {
    events = await queryEvents(chain, range);
  }
  const times = await blockTimes(
    chain,
    events.map((e) => e.blockNumber),
  );
  const problems = await checkReceipts(chain, events, query.prescriptionSlot ? { prescriptionSlot: query.prescriptionSlot } : {});
  const out = events.map((e) => {
    const a = toAudit(chain, e, times.get(e.blockNumber) ?? 0);
    const problem = problems.get(e);
    if (problem) a.flag = problem;
    return a;
  });
  return patient ? out.filter((e) => e.patient === patient) : out;
}

export interface AuditWatch {
  /** Stops polling; the promise settles when the last poll is done. */
  stop(): Promise<void>;
}

/**
 * `emr audit --follow`: polls for new blocks and hands each new event to `onEvent`
 * in order. Errors go to `onError` (polling continues); nothing is printed here.
 */
export function watchAudit(
  chain: EmrChain,
  params: AuditQuery & {
    /** May return a promise: the next event waits for it (order is kept). */
    onEvent: (e: AuditEvent) => unknown;
    onError?: (e: unknown) => void;
    pollMs?: number;
  },
): AuditWatch {
  let stopped = false;
  let next: number | undefined = params.fromBlock;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      const head = await chain.provider.getBlockNumber();
      const from = next ?? head + 1;
      if (from <= head) {
        const evs = await auditEvents(chain, { ...params, fromBlock: from, toBlock: head });
        for (const e of evs) if (!stopped) await params.onEvent(e);
      }
      next = Math.max(from, head + 1);
    } catch (e) {
      params.onError?.(e);
    }
    if (!stopped) timer = setTimeout(tick, params.pollMs ?? 1_000);
  };
  const tick = () => {
    running = poll();
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
