/**
 * `emr store import <file.car>` (docs/STORAGE.md § "CAR files"): verify every block of a
 * CAR backup against its CID, add it to the current store (embedded or Kubo), then pin
 * the CAR's roots; a root whose DAG is incomplete is reported, not pinned.
 */
import { defineCommand } from '../spec.js';

export const storeImport = defineCommand({
  name: 'import',
  summary: 'verify and add every block of a CAR file (a backup) to this store',
  args: ['<file.car>'],
  examples: ['emr store import history.car', 'emr --ipfs-api http://127.0.0.1:5001 store import history.car'],
  async run(ctx, [file]: [string]) {
    const [{ openSession }, { importCarFile }] = await Promise.all([import('../../session/index.js'), import('../../ops/import-car.js')]);
    const res = await importCarFile((await openSession(ctx, { store: true })).store, file);
    return {
      data: res,
      view: {
        title: `Imported ${res.blocks} block(s) from ${file}`,
        fields: [
          ['pinned', String(res.pinned.length)],
          ['incomplete', String(res.incomplete.length)],
        ],
      },
    };
  },
});
