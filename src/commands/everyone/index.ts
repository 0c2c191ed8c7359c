/** The commands every user has (docs/CLI.md § Commands: Everyone). Assembly only. */

import { defineGroup, type RoleSpec } from '../spec.js';
import { agentStart } from './agent-start.js';
import { agentStatus } from './agent-status.js';
import { agentStop } from './agent-stop.js';
import { audit } from './audit.js';
import { completion } from './completion.js';
import { configExport } from './config-export.js';
import { configGet } from './config-get.js';
import { configImport } from './config-import.js';
import { configSet } from './config-set.js';
import { configShow } from './config-show.js';
import { contacts } from './contacts.js';
import { decrypt } from './decrypt.js';
import { demo } from './demo.js';
import { doctor } from './doctor.js';
import { encrypt } from './encrypt.js';
import { fetch } from './fetch.js';
import { history } from './history.js';
import { keyExport } from './key-export.js';
import { keyImport } from './key-import.js';
import { keyList } from './key-list.js';
import { keyPasswd } from './key-passwd.js';
import { keygen } from './keygen.js';
import { orgAdd } from './org-add.js';
import { orgAdminAdd } from './org-admin-add.js';
import { orgAdminRemove } from './org-admin-remove.js';
import { orgCreate } from './org-create.js';
import { orgList } from './org-list.js';
import { orgRemove } from './org-remove.js';
import { orgShow } from './org-show.js';
import { relay } from './relay.js';
import { reportDisclosures } from './report-disclosures.js';
import { storeGc } from './store-gc.js';
import { storeImport } from './store-import.js';
import { storeServe } from './store-serve.js';
import { ui } from './ui.js';
import { verify } from './verify.js';
import { whois } from './whois.js';

export const everyone: RoleSpec = {
  name: 'everyone',
  heading: 'Everyone',
  summary: 'commands for every user: identities, local files, fetching, verifying, auditing',
  children: [
    keygen,
    defineGroup('key', 'manage local identities', [keyList, keyExport, keyImport, keyPasswd]),
    encrypt,
    decrypt,
    fetch,
    history,
    verify,
    audit,
    defineGroup('report', 'compliance reports: an accounting of disclosures', [reportDisclosures]),
    defineGroup('org', 'organisations: create and name admins (consortium), add/remove members (org admin), list, show', [
      orgCreate,
      orgAdd,
      orgRemove,
      orgList,
      orgShow,
      defineGroup('admin', 'an organisation’s admins: add, remove (consortium admin)', [orgAdminAdd, orgAdminRemove]),
    ]),
    whois,
    contacts,
    relay,
    defineGroup('store', 'this home’s record store: serve it to other sites, import CAR backups, collect garbage', [
      storeServe,
      storeImport,
      storeGc,
    ]),
    defineGroup('config', 'this home’s settings: show, get and set them, or carry them to another device', [
      configExport,
      configImport,
      configGet,
      configSet,
      configShow,
    ]),
    demo,
    doctor,
    completion,
    ui,
    defineGroup('agent', 'hold unlocked keys in memory for a while (opt-in)', [agentStart, agentStop, agentStatus]),
  ],
};
