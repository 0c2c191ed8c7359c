/** The commands every user has (docs/CLI.md § Commands: Everyone). Assembly only. */
import { defineGroup, type RoleSpec } from '../spec.js';
import { keygen } from './keygen.js';
import { keyList } from './key-list.js';
import { keyExport } from './key-export.js';
import { keyImport } from './key-import.js';
import { encrypt } from './encrypt.js';
import { decrypt } from './decrypt.js';
import { fetch } from './fetch.js';
import { verify } from './verify.js';
import { demo } from './demo.js';
import { whois } from './whois.js';
import { audit } from './audit.js';
import { relay } from './relay.js';
import { agentStart } from './agent-start.js';
import { agentStop } from './agent-stop.js';
import { agentStatus } from './agent-status.js';
import { storeGroup } from '../store/index.js';
import { configGroup } from '../config/index.js';
import { completion } from './completion.js';
import { doctor } from './doctor.js';

export const everyone: RoleSpec = {
  name: 'everyone',
  heading: 'Everyone',
  summary: 'commands for every user: identities, local files, fetching, verifying, auditing',
  children: [keygen, defineGroup('key', 'manage local identities', [keyList, keyExport, keyImport]), encrypt, decrypt, fetch, verify, audit, whois, relay, storeGroup, configGroup, demo, doctor, completion, defineGroup('agent', 'hold unlocked keys in memory for a while (opt-in)', [agentStart, agentStop, agentStatus])],
};
