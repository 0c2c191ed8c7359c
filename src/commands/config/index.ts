/** `emr config …`: this home's settings, to carry to a second device. Assembly only. */
import { defineGroup } from '../spec.js';
import { configExport } from './export.js';
import { configImport } from './import.js';

export const configGroup = defineGroup('config', 'carry this home’s chain and store settings to another device', [
  configExport,
  configImport,
]);
