/** The commands every user has (docs/CLI.md § Commands: Everyone). Assembly only. */

import { configGroup } from '../config/index.js';
import { contacts } from '../contacts/index.js';
import { orgGroup } from '../org/index.js';
import { reportGroup } from '../report/index.js';
import { defineGroup, type RoleSpec } from '../spec.js';
import { storeGroup } from '../store/index.js';
import { agentStart } from './agent-start.js';
import { agentStatus } from './agent-status.js';
import { agentStop } from './agent-stop.js';
import { audit } from './audit.js';
import { completion } from './completion.js';
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
import { relay } from './relay.js';
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
    reportGroup,
    orgGroup,
    whois,
    contacts,
    relay,
    storeGroup,
    configGroup,
    demo,
    doctor,
    completion,
    ui,
    defineGroup('agent', 'hold unlocked keys in memory for a while (opt-in)', [agentStart, agentStop, agentStatus]),
  ],
};
