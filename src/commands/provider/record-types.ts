/** `emr record types`: the record-type vocabulary (docs/CONTRACT.md § Record types). */
import { defineCommand } from '../spec.js';

export const recordTypes = defineCommand({
  name: 'types',
  summary: 'list the record types (for --type and --types)',
  async run() {
    const { RECORD_TYPES } = await import('../../record-types.js');
    const types = RECORD_TYPES.map((name, index) => ({ name, index }));
    return { data: { types }, view: { table: { columns: ['INDEX', 'TYPE'], rows: types.map((t) => [t.index, t.name]) } } };
  },
});
