/** Every role's command tree, in the order `emr --help` shows them (docs/CLI.md § Commands). */

import { admin } from './admin/index.js';
import { batch } from './batch/index.js';
import { everyone } from './everyone/index.js';
import { patient } from './patient/index.js';
import { provider } from './provider/index.js';
import type { RoleSpec } from './spec.js';

export const roles: RoleSpec[] = [everyone, patient, provider, admin, batch].filter((r) => r.children.length > 0);
