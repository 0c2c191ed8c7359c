/** register: publish the account's role and age recipient (CONTRACT.md § Recipients). */
import { UsageError } from '../errors.js';
import { send } from './send.js';
import { type EmrChain, ROLE_CODES, type Role, type SentTx } from './types.js';

export interface RegisterParameters {
  role: Role;
  /** The age recipient others encrypt to (`age1…` or a PQ hybrid `age1pq1…`). */
  recipient: string;
}

export async function register(chain: EmrChain, params: RegisterParameters): Promise<SentTx> {
  const code = ROLE_CODES[params.role];
  if (code === undefined) throw new UsageError(`invalid role '${params.role}'`, { hint: 'use patient or provider' });
  const len = Buffer.byteLength(params.recipient, 'utf8');
  if (len === 0 || len > 4096) throw new UsageError('invalid encryption recipient', { hint: 'expected an age1… string' });
  return send(chain, 'register', [code, params.recipient]);
}
