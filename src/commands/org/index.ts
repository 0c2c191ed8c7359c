/** `emr org …` (docs/CLI.md § Organisations): organisations on chain. Assembly only. */
import { defineGroup } from '../spec.js';
import { orgAdd } from './add.js';
import { orgCreate } from './create.js';
import { orgList } from './list.js';
import { orgRemove } from './remove.js';
import { orgShow } from './show.js';

export const orgGroup = defineGroup('org', 'organisations: create (consortium), add/remove members (org admin), list, show', [
  orgCreate,
  orgAdd,
  orgRemove,
  orgList,
  orgShow,
]);
