/** `emr org list` (docs/CLI.md § Organisations): the organisations the consortium registered. */
import { defineCommand } from '../spec.js';

export const orgList = defineCommand({
  name: 'list',
  summary: 'the registered organisations',
  async run(ctx) {
    const [{ openChainSession }, flows] = await Promise.all([import('../../session/chain-session.js'), import('../../ops/org.js')]);
    const data = await flows.listOrgsFlow(await openChainSession(ctx, { chain: true }));
    return {
      data,
      view: data.orgs.length
        ? { table: { columns: ['id', 'name'], rows: data.orgs.map((o) => [o.id, o.name]) } }
        : { title: 'No organisations', lines: ['A consortium admin registers one with `emr org create <name> --admin <who>`.'] },
    };
  },
});
