/**
 * Maps everything the chain can throw at us onto the house error classes
 * (docs/CLI.md § Exit codes): the contract's custom errors by name, transport failures to
 * UnavailableError. Messages are one line and never carry key material.
 */
import type { Interface } from 'ethers';
import { EmrError, type ErrorCode, errorOfCode, UnavailableError } from '../errors.js';
import { rpcTimeoutError } from './transport.js';

type Kind = 'access' | 'usage' | 'notfound' | 'integrity';
const KIND_CODE = { access: 'ACCESS_DENIED', usage: 'USAGE', notfound: 'NOT_FOUND', integrity: 'INTEGRITY' } as const satisfies Record<
  Kind,
  ErrorCode
>;

/** Every custom error of EmrAccess.sol, its class and a hint for the person at the terminal. */
const CUSTOM: Readonly<Record<string, { kind: Kind; message: string; hint: string }>> = {
  NotAdmin: { kind: 'access', message: 'not an admin of the contract', hint: 'ask an admin to run `emr admin add` for this address' },
  LastAdmin: { kind: 'access', message: 'cannot remove the last admin', hint: 'add another admin first' },
  AlreadyAdmin: { kind: 'usage', message: 'already an admin', hint: 'nothing to do' },
  InvalidRole: { kind: 'usage', message: 'invalid role', hint: 'use --role patient or --role provider' },
  RoleChange: {
    kind: 'access',
    message: 'this address is already registered with another role',
    hint: 'use a separate profile for each role',
  },
  InvalidRecipient: {
    kind: 'usage',
    message: 'invalid encryption recipient',
    hint: 'the recipient must be a well-formed age1… (62 characters) or age1pq1… (1959 characters) key',
  },
  NotRegistered: { kind: 'notfound', message: 'address is not registered', hint: 'the other party must run `emr register` first' },
  NotPatient: {
    kind: 'access',
    message: 'not a registered patient',
    hint: 'only the patient may do this; patients run `emr register --role patient`',
  },
  NotProvider: {
    kind: 'access',
    message: 'not a registered provider',
    hint: 'providers run `emr register --role provider`, then an admin verifies them',
  },
  ProviderNotVerified: { kind: 'access', message: 'provider is not verified', hint: 'ask an admin to run `emr admin verify <provider>`' },
  SuspendedProvider: { kind: 'access', message: 'provider is suspended', hint: 'contact an admin of the contract' },
  NotAuthorized: {
    kind: 'access',
    message: 'no live write grant from the patient for this record type',
    hint: 'ask the patient to `emr grant` write access for the type',
  },
  NoOpenEmergency: {
    kind: 'access',
    message: 'no emergency is open for this patient and provider',
    hint: 'the provider must run `emr emergency open <patient> --reason …` first',
  },
  NoReadAccess: { kind: 'access', message: 'no read access to this record', hint: 'ask the patient for a grant (`emr access request`)' },
  InvalidRecordType: { kind: 'usage', message: 'invalid record type', hint: 'record types are indexes 0..31' },
  InvalidCodec: { kind: 'usage', message: 'unsupported CID codec', hint: 'records must be CIDv1 raw (0x55) or dag-pb (0x70)' },
  InvalidDigest: { kind: 'usage', message: 'empty content digest', hint: 'pass the sha2-256 digest of the record CID' },
  UnknownRecord: { kind: 'notfound', message: 'unknown record id', hint: 'list records with `emr record list`' },
  BadBatch: { kind: 'usage', message: 'malformed record batch', hint: 'each entry is 54 bytes; the batch must not be empty' },
  InvalidExpiry: { kind: 'usage', message: 'expiry must be in the future', hint: 'use --expires 30d or a future ISO date' },
  EmptyGrant: { kind: 'usage', message: 'nothing to grant', hint: 'name at least one type (--types) or record (--records)' },
  SelfGrant: { kind: 'usage', message: 'a patient cannot grant to themself', hint: 'patients always read their own records' },
  UnknownRequest: { kind: 'notfound', message: 'no such access request for this patient', hint: 'list requests with `emr access list`' },
  RequestAlreadyDecided: {
    kind: 'access',
    message: 'request already decided',
    hint: 'a decided request cannot be decided again; ask for a new one',
  },
  InvalidReason: { kind: 'usage', message: 'a reason (1..1024 bytes) is required', hint: 'pass --reason <text>' },
  SignatureExpired: { kind: 'access', message: 'signed action expired', hint: 'ask the patient to sign again with a later deadline' },
  BadNonce: {
    kind: 'access',
    message: 'signed action already used or out of order',
    hint: 'signatures are single-use; ask the patient to sign again',
  },
  StaleEpoch: {
    kind: 'access',
    message: 'signed action voided: the patient revoked this provider after signing it',
    hint: 'a revoke cancels every outstanding signed grant or approval; ask the patient to sign again',
  },
  // Issue 20 point 2 (CONTRACT.md § Signed actions).
  RevokeSuperseded: {
    kind: 'access',
    message: 'signed revoke superseded: the patient granted this provider again after signing it',
    hint: 'the later grant stands; ask the patient to revoke again if that is what they want',
  },
  // Issue 25 (CONTRACT.md § Privacy): an approval names slots the request did not ask for.
  MaskNotRequested: {
    kind: 'usage',
    message: 'the approval names types the request did not ask for',
    hint: 'approve only what was requested, or grant the rest with `emr grant`',
  },
  ZeroAddress: { kind: 'usage', message: 'the zero address cannot be an admin', hint: 'name a real account' },
  EmergencyClosedByPatient: {
    kind: 'access',
    message: 'the patient closed this provider’s emergency access less than 24 h ago',
    hint: 'ask the patient for a grant (`emr access request`), or another provider may open an emergency',
  },
  AlreadyDispensed: {
    kind: 'access',
    message: 'prescription already dispensed',
    hint: 'a prescription is dispensed once; see `emr verify <id>` for who dispensed it and when',
  },
  AlreadyErased: {
    kind: 'notfound',
    message: 'record already erased',
    hint: 'an erasure is final; run `emr record erase <id>` again only to finish removing the local copies',
  },
  NotGrantedPrescription: {
    kind: 'access',
    message: 'the patient has not granted you `prescription` for this record',
    hint: 'ask the patient to `emr grant <you> --types prescription`',
  },
  // Issue 24 § 1 (CONTRACT.md § Organisations).
  UnknownOrg: { kind: 'notfound', message: 'no such organisation', hint: 'see `emr org list`' },
  NotOrgAdmin: {
    kind: 'access',
    message: 'not an admin of this organisation',
    hint: 'an organisation admin named at `emr org create` (or by the consortium) must do this',
  },
  InvalidOrgName: { kind: 'usage', message: 'an organisation name is 1..128 bytes', hint: 'pass a shorter name' },
  OrgNameTaken: { kind: 'usage', message: 'an organisation of that name exists', hint: 'see `emr org list`; names are unique' },
  InvalidDepartment: { kind: 'usage', message: 'a department name is at most 64 bytes', hint: 'pass a shorter --department' },
  NotOrgMember: { kind: 'notfound', message: 'not a member of this organisation', hint: 'see `emr org show <org>`' },
  TooManyOrgAdmins: { kind: 'usage', message: 'an organisation has 1..16 admins at creation', hint: 'pass --admin 1..16 times' },
  InvalidSignature: {
    kind: 'integrity',
    message: 'signature does not match the patient, chain or contract',
    hint: 'the action must be signed by the patient for this chain and contract',
  },
};

interface EthersLikeError {
  code?: string;
  shortMessage?: string;
  message?: string;
  data?: string;
  info?: { error?: { code?: number; message?: string; data?: unknown } };
  error?: { code?: number; message?: string; data?: unknown };
  revert?: { name: string; args: readonly unknown[] } | null;
  cause?: unknown;
}

/** The revert data hidden somewhere in an ethers/JSON-RPC error, if any. */
function revertData(e: EthersLikeError): string | undefined {
  const candidates = [e.data, e.info?.error?.data, e.error?.data];
  for (const c of candidates) {
    if (typeof c === 'string' && /^0x[0-9a-fA-F]{8,}$/.test(c)) return c;
    if (c && typeof c === 'object' && typeof (c as { data?: unknown }).data === 'string') {
      return (c as { data: string }).data;
    }
  }
  return undefined;
}

function isTransportFailure(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 5) return false;
  const x = e as EthersLikeError & { errno?: string };
  const code = x.code ?? x.errno;
  if (
    code &&
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'ENOTFOUND',
      'EAI_AGAIN',
      'UND_ERR_CONNECT_TIMEOUT',
      'NETWORK_ERROR',
      'TIMEOUT',
      'SERVER_ERROR',
    ].includes(code)
  ) {
    return true;
  }
  if (typeof x.message === 'string' && /fetch failed|ECONNREFUSED|socket hang up/.test(x.message)) return true;
  return isTransportFailure(x.cause, depth + 1);
}

/** An ethers TIMEOUT error in `e` or its causes, with the request it gave up on if known. */
function timeoutOf(e: unknown, depth = 0): { request?: { url?: string; timeout?: number } } | undefined {
  if (!e || typeof e !== 'object' || depth > 5) return undefined;
  const x = e as EthersLikeError & { request?: { url?: string; timeout?: number } };
  if (x.code === 'TIMEOUT') return x;
  return timeoutOf(x.cause, depth + 1);
}

/**
 * ethers recognises only geth's wording ("insufficient funds"); other nodes word the same
 * refusal differently and ethers then throws UNKNOWN_ERROR "could not coalesce error" with
 * the node's message inside. Hardhat 2 (EDR): "Sender doesn't have enough funds to send tx";
 * Besu: "Upfront cost exceeds account balance". Measured on Hardhat 2.29.1 by
 * test/cli/second-evm.test.ts.
 */
const INSUFFICIENT_FUNDS = /insufficient funds|doesn't have enough funds|upfront cost exceeds account balance/i;

function nodeSaysInsufficientFunds(e: unknown, depth = 0): boolean {
  if (!e || typeof e !== 'object' || depth > 5) return false;
  const x = e as EthersLikeError;
  for (const m of [x.error?.message, x.info?.error?.message]) {
    if (typeof m === 'string' && INSUFFICIENT_FUNDS.test(m.slice(0, 500))) return true;
  }
  return nodeSaysInsufficientFunds(x.cause, depth + 1);
}

/** The name and args of a contract custom error, decoded from any thrown error. */
export function decodeRevert(e: unknown, iface: Interface): { name: string; args: readonly unknown[] } | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const x = e as EthersLikeError;
  if (x.revert && typeof x.revert.name === 'string') return { name: x.revert.name, args: x.revert.args };
  const data = revertData(x);
  if (!data) return undefined;
  try {
    const parsed = iface.parseError(data);
    return parsed ? { name: parsed.name, args: [...parsed.args] } : undefined;
  } catch {
    return undefined;
  }
}

function fmtArgs(args: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(args.map((a, i) => [String(i), typeof a === 'bigint' ? a.toString() : a]));
}

/** Builds the house error for a named custom error of the contract. */
export function customError(name: string, args: readonly unknown[] = [], cause?: unknown): EmrError {
  const entry = CUSTOM[name];
  const details = { contractError: name, args: fmtArgs(args) };
  if (!entry) {
    return new UnavailableError(`transaction reverted: ${name}`, {
      hint: 'the contract refused the call; check the contract address (--contract)',
      cause,
      details,
    });
  }
  return errorOfCode(KIND_CODE[entry.kind], entry.message, { hint: entry.hint, cause, details });
}

/**
 * Converts anything thrown by ethers (estimateGas, call, send, wait) into an EmrError:
 * custom errors by name; unreachable endpoints, timeouts and other reverts → UNAVAILABLE.
 */
export function toChainError(e: unknown, iface: Interface, from?: string): EmrError {
  if (e instanceof EmrError) return e;
  const decoded = decodeRevert(e, iface);
  if (decoded) return customError(decoded.name, decoded.args, e);
  const x = (e ?? {}) as EthersLikeError;
  // ethers' TIMEOUT (its FetchRequest deadline; transport.ts throws its own error first):
  // the endpoint stopped answering, which is UNAVAILABLE with the same hint.
  const timeout = timeoutOf(e);
  if (timeout) return rpcTimeoutError(timeout.request?.url ?? '', timeout.request?.timeout ?? 0, e);
  if (isTransportFailure(e)) {
    return new UnavailableError('chain endpoint unreachable', {
      hint: 'check that the node behind --rpc-url (or the embedded devnet: `emr devnet status`) is running',
      cause: e,
    });
  }
  if (x.code === 'INSUFFICIENT_FUNDS' || nodeSaysInsufficientFunds(e)) {
    // Off the devnet nobody funds a profile (docs/DEVNET.md § 2): name the address to fund.
    const who = from ? ` ${from}` : '';
    return new UnavailableError(`account${who} has too little ether to pay for gas`, {
      hint: `send ether to${who || ' the account'} on this chain (on the embedded devnet \`emr devnet up\` funds local profiles)`,
      cause: e,
    });
  }
  if (x.code === 'NONCE_EXPIRED' || x.code === 'REPLACEMENT_UNDERPRICED' || x.code === 'TRANSACTION_REPLACED') {
    return new UnavailableError('transaction conflicted with another from the same account', {
      hint: 'retry the command',
      cause: e,
    });
  }
  if (x.code === 'CALL_EXCEPTION') {
    return new UnavailableError('transaction reverted', {
      hint: 'the contract refused the call without a reason; check --contract and the arguments',
      cause: e,
    });
  }
  const msg = (x.shortMessage ?? x.message ?? String(e)).split('\n')[0]?.slice(0, 200);
  return new UnavailableError(`chain request failed: ${msg}`, {
    hint: 'check the endpoint (--rpc-url) and retry',
    cause: e,
  });
}
