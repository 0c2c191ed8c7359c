/** Hospital batch jobs (docs/CLI.md § Batch and demo). Assembly only. */
import { defineGroup, type RoleSpec } from '../spec.js';
import { batchAdd } from './batch-add.js';

export const batch: RoleSpec = {
  name: 'batch',
  heading: 'Batch jobs',
  summary: 'hospital batch jobs: many records from a manifest, resumable',
  children: [defineGroup('batch', 'hospital batch jobs', [batchAdd])],
};
