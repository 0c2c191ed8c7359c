/** `emr config …`: this home's settings, to carry to a second device. Assembly only. */
import { defineGroup } from '../spec.js';
import { configExport } from './export.js';
import { configGet } from './get.js';
import { configImport } from './import.js';
import { configSet } from './set.js';
import { configShow } from './show.js';

export const configGroup = defineGroup('config', 'this home’s settings: show, get and set them, or carry them to another device', [
  configExport,
  configImport,
  configGet,
  configSet,
  configShow,
]);
