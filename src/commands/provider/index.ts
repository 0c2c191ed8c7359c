/** The provider's commands (docs/CLI.md § Commands: Provider). Assembly only. */
import { defineGroup, type RoleSpec } from '../spec.js';
import { accessRequest } from './access-request.js';
import { emergencyOpen } from './emergency-open.js';
import { prescriptionDispense } from './prescription-dispense.js';
import { recordAdd } from './record-add.js';
import { recordErase } from './record-erase.js';
import { recordExport } from './record-export.js';
import { recordList } from './record-list.js';
import { recordShow } from './record-show.js';
import { recordTypes } from './record-types.js';
import { recordVoid } from './record-void.js';

export const provider: RoleSpec = {
  name: 'provider',
  heading: 'Provider',
  summary: 'commands for providers: adding records, requesting access, emergencies',
  children: [
    defineGroup('record', 'add and list records', [recordAdd, recordList, recordShow, recordExport, recordTypes, recordVoid, recordErase]),
    defineGroup('prescription', 'prescriptions: dispensing (pharmacists)', [prescriptionDispense]),
    defineGroup('access', 'ask patients for access', [accessRequest]),
    defineGroup('emergency', 'break-glass access (always audited)', [emergencyOpen]),
  ],
};
