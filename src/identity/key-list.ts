/** `emr key list`, the use case (docs/CLI.md § Identity): the local profiles; no unlock needed. */
import type { Role } from '../keys/profiles.js';
import type { SessionBase } from '../session/index.js';

export interface ListedIdentity {
  name: string;
  address: string;
  role: Role;
  identityKind: string;
  recipient: string;
  default: boolean;
}

export function listIdentities(s: SessionBase): { profiles: ListedIdentity[] } {
  const def = s.ctx.config.get('defaultProfile');
  const profiles = s.ctx.profiles.list().map((p) => ({
    name: p.name,
    address: p.address,
    role: p.role,
    identityKind: p.identityKind,
    recipient: p.recipient,
    default: p.name === def,
  }));
  return { profiles };
}
