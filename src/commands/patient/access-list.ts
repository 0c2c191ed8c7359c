/**
 * `emr access list [--all] [--mine]` (docs/CLI.md § Sharing). A patient sees the requests
 * addressed to them: pending ones (the inbox) by default, every one with `--all`, pending
 * first. A provider (`--mine`, the default for provider profiles) sees the requests it
 * made and how each was decided. Reads public chain state only: nothing is unlocked.
 */
import { defineCommand } from '../spec.js';

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

export const accessList = defineCommand({
  name: 'list',
  summary: 'list access requests: to you (patient), or made by you (provider, --mine)',
  options: [
    { flags: '--all', description: 'include decided requests (patients see only pending ones by default)' },
    { flags: '--mine', description: 'requests you made as a provider (default for provider profiles)' },
  ],
  async run(ctx, _args, opts: { all?: boolean; mine?: boolean }) {
    const { chainFor } = await import('../../session/chain.js');
    const { maskToTypes } = await import('../../record-types.js');
    const me = ctx.profile();
    const mine = !!opts.mine || me.role === 'provider';
    const chain = await chainFor(ctx);
    let raw: Array<{ requestId: bigint; patient: string; provider: string; readMask: number; reason: string; state: State; createdAt: number; txHash: string }>;
    if (mine) {
      // Requests by this provider, across patients: AccessRequested's topic3 is the provider.
      const { addressTopic, blockTimes, queryEvents } = await import('../../chain/logs.js');
      const { toChainError } = await import('../../chain/errors.js');
      const events = await queryEvents(chain, { names: ['AccessRequested'], topics: [null, null, addressTopic(me.address)] });
      const times = await blockTimes(chain, events.map((e) => e.blockNumber));
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
        raw.push({ requestId: e.args[0] as bigint, patient, provider: me.address, readMask: Number(e.args[3]), reason: String(e.args[4]), state: states[Number(state)] ?? 'pending', createdAt: times.get(e.blockNumber) ?? 0, txHash: e.txHash });
      }
    } else {
      const { listRequests } = await import('../../chain/requests.js');
      raw = await listRequests(chain, { patient: me.address });
    }
    const showAll = opts.all || mine;
    const requests: RequestRow[] = raw
      .filter((r) => showAll || r.state === 'pending')
      .sort((a, b) => ORDER[a.state] - ORDER[b.state] || (a.requestId < b.requestId ? -1 : 1))
      .map((r) => ({
        requestId: r.requestId.toString(),
        patient: r.patient,
        provider: r.provider,
        types: maskToTypes(r.readMask),
        reason: r.reason,
        state: r.state,
        createdAt: new Date(r.createdAt * 1000).toISOString(),
        txHash: r.txHash,
      }));
    const name = (a: string) => ctx.profiles.byAddress(a)?.name ?? a.slice(0, 10) + '…';
    const hidden = raw.length - requests.length;
    return {
      data: { requests },
      view: {
        table: {
          columns: ['ID', 'STATE', 'CREATED', mine ? 'PATIENT' : 'PROVIDER', 'TYPES', 'REASON'],
          rows: requests.map((r) => [r.requestId, r.state, r.createdAt.replace('.000Z', 'Z'), name(mine ? r.patient : r.provider), r.types.join(','), r.reason || '-']),
        },
        lines: hidden > 0 ? [`${hidden} decided request(s) hidden; --all shows them.`] : !mine && requests.some((r) => r.state === 'pending') ? ['Decide with `emr access approve <id>` or `emr access deny <id>`.'] : [],
      },
    };
  },
});
