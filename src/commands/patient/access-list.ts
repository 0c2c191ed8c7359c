/**
 * `emr access list [--all] [--mine]` (docs/CLI.md § Sharing). A patient sees the requests
 * addressed to them: pending ones (the inbox) by default, every one with `--all`, pending
 * first. A provider (`--mine`, the default for provider profiles) sees the requests it
 * made and how each was decided. Reads public chain state only: nothing is unlocked.
 */
import { defineCommand } from '../spec.js';

export const accessList = defineCommand({
  name: 'list',
  summary: 'list access requests: to you (patient), or made by you (provider, --mine)',
  options: [
    { flags: '--all', description: 'include decided requests (patients see only pending ones by default)' },
    { flags: '--mine', description: 'requests you made as a provider (default for provider profiles)' },
  ],
  async run(ctx, _args, opts: { all?: boolean; mine?: boolean }) {
    const [{ openChainSession }, { listAccessRequests }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../records/access-requests.js'),
    ]);
    // A request's types are sealed to the patient (docs/CONTRACT.md § Privacy): unlocked when answerable.
    const s = await openChainSession(ctx, { chain: true, unlock: 'ifAnswerable' });
    const { requests, mine, hidden } = await listAccessRequests(s, opts);
    return {
      data: { requests },
      view: {
        table: {
          columns: ['ID', 'STATE', 'CREATED', mine ? 'PATIENT' : 'PROVIDER', 'TYPES', 'REASON'],
          rows: requests.map((r) => [
            r.requestId,
            r.state,
            r.createdAt.replace('.000Z', 'Z'),
            ctx.label(mine ? r.patient : r.provider, 'short'),
            r.types.join(','),
            r.reason || '-',
          ]),
        },
        lines:
          hidden > 0
            ? [`${hidden} decided request(s) hidden; --all shows them.`]
            : !mine && requests.some((r) => r.state === 'pending')
              ? ['Decide with `emr access approve <id>` or `emr access deny <id>`.']
              : [],
      },
    };
  },
});
