/** The patient's commands (docs/CLI.md § Commands: Patient). Assembly only. */
import { defineGroup, type RoleSpec } from '../spec.js';
import { accessApprove } from './access-approve.js';
import { accessDeny } from './access-deny.js';
import { accessList } from './access-list.js';
import { emergencyTypes } from './emergency-types.js';
import { grant } from './grant.js';
import { register } from './register.js';
import { revoke } from './revoke.js';

export const patient: RoleSpec = {
  name: 'patient',
  heading: 'Patient',
  summary: 'commands for patients: registration, grants, revocation, access requests',
  also: ['record list', 'record show', 'record void', 'history', 'audit', 'report disclosures', 'fetch', 'verify', 'whois'],
  children: [
    register,
    grant,
    revoke,
    defineGroup('access', 'access requests: request (provider), list/approve/deny (patient)', [accessList, accessApprove, accessDeny]),
    defineGroup('emergency', 'break-glass access (always audited)', [emergencyTypes]),
  ],
};
