/** The admin's commands (docs/CLI.md § Commands: Admin): `emr admin …` and `emr devnet …`. Assembly only. */
import { defineGroup, type RoleSpec } from '../spec.js';
import { addAdminCommand } from './add-admin.js';
import { deploy } from './deploy.js';
import { devnetDown } from './devnet-down.js';
import { devnetFund } from './devnet-fund.js';
import { devnetStatus } from './devnet-status.js';
import { devnetUp } from './devnet-up.js';
import { emergencyRecipientCommand } from './emergency-recipient.js';
import { emergencyRelease } from './emergency-release.js';
import { removeAdminCommand } from './remove-admin.js';
import { suspend } from './suspend.js';
import { verify } from './verify.js';

export const admin: RoleSpec = {
  name: 'admin',
  heading: 'Admin',
  summary: 'consortium administration and the embedded local chain',
  children: [
    defineGroup('admin', 'consortium administration', [
      deploy,
      verify,
      suspend,
      addAdminCommand,
      removeAdminCommand,
      emergencyRecipientCommand,
      emergencyRelease,
    ]),
    defineGroup('devnet', 'the embedded local chain', [devnetUp, devnetDown, devnetStatus, devnetFund]),
  ],
};
