/**
 * `emr access list [--all] [--mine]`, the whole use case (docs/CLI.md § Sharing). A patient
 * sees the requests addressed to them: pending ones (the inbox) by default, every one with
 * `all`, pending first. A provider (`mine`, the default for provider profiles) sees the
 * requests it made and how each was decided. Public chain state only: nothing is unlocked.
 */
import { toChainError } from '../chain/errors.js';
import { addressTopic, blockTimes, queryEvents } from '../chain/logs.js';
import { listRequests } from '../chain/requests.js';
import { maskToTypes } from '../record-types.js';
import type { With } from '../session/index.js';
import type { Unlocked } from '../session/unlock.js';
import { isSealed, openSealedRequest } from './sealed-request.js';

type State = 'pending' | 'approved' | 'denied';

export interface RequestRow {
  requestId: string;
  patient: string;
  provider: string;
  types: string[];
  reason: string;
  state: State;
  createdAt: string;
  txHash: string;
}

const ORDER: Record<State, number> = { pending: 0, approved: 1, denied: 2 };

export interface RequestList {
  requests: RequestRow[];
  /** Whether these are the requests the profile made (as a provider). */
  mine: boolean;
  /** Decided requests left out (a patient's inbox without `all`). */
  hidden: number;
}

export async function listAccessRequests(
  s: With<'chain'> & { me?: Unlocked | undefined },
  opts: { all?: boolean; mine?: boolean },
): Promise<RequestList> {
  const me = s.ctx.profile();
  const chain = s.chain;
  const mine = !!opts.mine || me.role === 'provider';
  let raw: Array<{
    requestId: bigint;
    patient: string;
    provider: string;
    readMask: number;
    reason: string;
    state: State;
    createdAt: number;
    txHash: string;
  }>;
  if (mine) {
    // Requests by this provider, across patients: AccessRequested's topic3 is the provider.
    const events = await queryEvents(chain, { names: ['AccessRequested'], topics: [null, null, addressTopic(me.address)] });
    const times = await blockTimes(
      chain,
      events.map((e) => e.blockNumber),
    );
    const states: State[] = ['pending', 'approved', 'denied'];
    raw = [];
    for (const e of events) {
      const patient = e.args[1] as string;
      let state: bigint;
      try {
        [, , state] = (await chain.contract.getFunction('requestOf')(patient, e.args[0])) as [string, bigint, bigint, bigint];
      } catch (err) {
        throw toChainError(err, chain.iface);
      }
      raw.push({
        requestId: e.args[0] as bigint,
        patient,
        provider: me.address,
        readMask: Number(e.args[3]),
        reason: String(e.args[4]),
        state: states[Number(state)] ?? 'pending',
        createdAt: times.get(e.blockNumber) ?? 0,
        txHash: e.txHash,
      });
    }
  } else {
    raw = await listRequests(chain, { patient: me.address });
  }
  const showAll = opts.all || mine;
  const kept = raw
    .filter((r) => showAll || r.state === 'pending')
    .sort((a, b) => ORDER[a.state] - ORDER[b.state] || (a.requestId < b.requestId ? -1 : 1));
  const requests: RequestRow[] = [];
  for (const r of kept) {
    // CONTRACT.md § Privacy: the types and reason are sealed to the patient.
    const opened = isSealed(r.reason) && s.me ? await openSealedRequest(r.reason, s.me.age.identity) : undefined;
    requests.push({
      requestId: r.requestId.toString(),
      patient: r.patient,
      provider: r.provider,
      types: opened ? opened.types : isSealed(r.reason) ? [] : maskToTypes(r.readMask),
      reason: opened ? opened.reason : isSealed(r.reason) ? '(sealed to the patient)' : r.reason,
      state: r.state,
      createdAt: new Date(r.createdAt * 1000).toISOString(),
      txHash: r.txHash,
    });
  }
  return { requests, mine, hidden: raw.length - requests.length };
}
