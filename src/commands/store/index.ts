/** `emr store …` (docs/STORAGE.md): this home's record store. Assembly only. */
import { defineGroup } from '../spec.js';
import { storeGc } from './gc.js';
import { storeImport } from './import.js';
import { storeServe } from './serve.js';

export const storeGroup = defineGroup('store', 'this home’s record store: serve it to other sites, import CAR backups, collect garbage', [
  storeServe,
  storeImport,
  storeGc,
]);
