/** The admin's commands (docs/CLI.md § Commands: Admin): `emr admin …` and `emr devnet …`. Assembly only. */
import { defineGroup, type RoleSpec } from '../spec.js';
import { adminAdd } from './admin-add.js';
import { adminDeploy } from './admin-deploy.js';
import { adminEmergencyRecipient } from './admin-emergency-recipient.js';
import { adminEmergencyRelease } from './admin-emergency-release.js';
import { adminRemove } from './admin-remove.js';
import { adminSuspend } from './admin-suspend.js';
import { adminVerify } from './admin-verify.js';
import { devnetDown } from './devnet-down.js';
import { devnetFund } from './devnet-fund.js';
import { devnetStatus } from './devnet-status.js';
import { devnetUp } from './devnet-up.js';

export const admin: RoleSpec = {
  name: 'admin',
  heading: 'Admin',
  summary: 'consortium administration and the embedded local chain',
  children: [
    defineGroup('admin', 'consortium administration', [
      adminDeploy,
      adminVerify,
      adminSuspend,
      adminAdd,
      adminRemove,
      adminEmergencyRecipient,
      adminEmergencyRelease,
    ]),
    defineGroup('devnet', 'the embedded local chain', [devnetUp, devnetDown, devnetStatus, devnetFund]),
  ],
};
