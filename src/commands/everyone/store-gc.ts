/**
 * `emr store gc` (docs/STORAGE.md § Unpin, garbage collection and erasure): delete every
 * block of this home's embedded store that no pin reaches. Refuses (exit 6) while an add
 * or import is writing to the store, so it never removes the blocks of a record in flight.
 */
import { defineCommand } from '../spec.js';

export const storeGc = defineCommand({
  name: 'gc',
  summary: 'delete the blocks of this home’s embedded store that no pin reaches',
  examples: ['emr store gc', 'emr store gc --json'],
  async run(ctx) {
    const { storeGcFlow } = await import('../../ops/store-gc.js');
    const res = await storeGcFlow(ctx);
    return {
      data: res,
      view: {
        title: `Removed ${res.removed} unpinned block(s)`,
        fields: [
          ['freed', `${res.bytes} bytes`],
          ['kept', `${res.kept} pinned block(s)`],
        ],
      },
    };
  },
});
