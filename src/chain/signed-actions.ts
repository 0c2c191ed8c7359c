/**
 * Signed actions (CONTRACT.md § Signed actions): a patient signs grant, revoke, approve
 * or deny offline as EIP-712 typed data, bound to the chain id and this contract, with a
 * per-patient sequential nonce and a deadline; anyone may relay the signature. Grant and
 * Approve also name the (patient, provider) epoch they were signed in, so a later revoke
 * (which bumps it) voids them (CONTRACT.md § Signed actions).
 */
import type { Signer, TypedDataDomain, TypedDataField } from 'ethers';
import { UsageError } from '../errors.js';
import { type GrantParameters, grantArgs } from './grant.js';
import { checkBytes32, checkId, parseAddress, toUnixSeconds } from './params.js';
import { read } from './read.js';
import { send } from './send.js';
import type { EmrChain, SentTx } from './types.js';

export const EIP712_TYPES: Readonly<Record<'Grant' | 'Revoke' | 'Approve' | 'Deny', TypedDataField[]>> = {
  Grant: [
    { name: 'patient', type: 'address' },
    { name: 'provider', type: 'address' },
    { name: 'readMask', type: 'uint32' },
    { name: 'writeMask', type: 'uint32' },
    { name: 'expiry', type: 'uint40' },
    { name: 'keyDelivery', type: 'bytes32' },
    { name: 'epoch', type: 'uint32' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
  // Issue 20 point 2: no nonce; the slot's epoch and direct-grant count (CONTRACT.md § Signed actions).
  Revoke: [
    { name: 'patient', type: 'address' },
    { name: 'provider', type: 'address' },
    { name: 'epoch', type: 'uint32' },
    { name: 'directGrants', type: 'uint32' },
    { name: 'deadline', type: 'uint256' },
  ],
  Approve: [
    { name: 'patient', type: 'address' },
    { name: 'requestId', type: 'uint256' },
    { name: 'expiry', type: 'uint40' },
    { name: 'keyDelivery', type: 'bytes32' },
    { name: 'epoch', type: 'uint32' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
  Deny: [
    { name: 'patient', type: 'address' },
    { name: 'requestId', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
};

/**
 * The EIP-712 domain of a relayed action, the contract's own {name: "EmrAccess"}
 * (CONTRACT.md § Signed actions); not a record bundle's (crypto `bundleDomain`).
 */
export function actionDomain(chainId: bigint, contract: string): TypedDataDomain {
  return { name: 'EmrAccess', version: '2', chainId, verifyingContract: parseAddress(contract, 'contract') };
}

export type ActionBody =
  | ({ kind: 'grant' } & GrantParameters)
  | { kind: 'revoke'; provider: string; epoch: number; directGrants: number }
  | { kind: 'approve'; requestId: bigint | number; expiry: Date | number | bigint; keyDelivery?: string }
  | { kind: 'deny'; requestId: bigint | number };

/** A relayable action: plain JSON-safe strings, so it can travel as a file or QR code. */
export interface SignedAction {
  kind: ActionBody['kind'];
  chainId: string;
  contract: string;
  message: Record<string, string | number>;
  signature: string;
}

function checkEpoch(epoch: number | undefined, kind: string): number {
  if (epoch === undefined || !Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) {
    throw new UsageError(`a signed ${kind} needs the current epoch of the grant slot`, {
      hint: 'read it with grantOf(patient, provider).epoch',
    });
  }
  return epoch;
}

function typedMessage(patient: string, body: ActionBody, nonce: bigint, deadline: bigint, epoch: number | undefined) {
  switch (body.kind) {
    case 'grant': {
      const [provider, readMask, writeMask, expiry, keyDelivery] = grantArgs(body);
      return {
        type: 'Grant' as const,
        message: { patient, provider, readMask, writeMask, expiry, keyDelivery, epoch: checkEpoch(epoch, 'grant'), nonce, deadline },
      };
    }
    case 'revoke':
      return {
        type: 'Revoke' as const,
        message: {
          patient,
          provider: parseAddress(body.provider, 'provider'),
          epoch: checkEpoch(body.epoch, 'revoke'),
          directGrants: checkEpoch(body.directGrants, 'revoke'),
          deadline,
        },
      };
    case 'approve':
      return {
        type: 'Approve' as const,
        message: {
          patient,
          requestId: checkId(body.requestId, 'request id'),
          expiry: toUnixSeconds(body.expiry),
          keyDelivery: checkBytes32(body.keyDelivery, 'key delivery digest'),
          epoch: checkEpoch(epoch, 'approval'),
          nonce,
          deadline,
        },
      };
    case 'deny':
      return { type: 'Deny' as const, message: { patient, requestId: checkId(body.requestId, 'request id'), nonce, deadline } };
  }
}

/**
 * What a signed revoke names (issue 20 point 2): the (patient, provider) slot's epoch and
 * the count of the patient's direct grants to the provider in it.
 */
export async function revokeTerms(chain: EmrChain, patient: string, provider: string): Promise<{ epoch: number; directGrants: number }> {
  const [epoch, directGrants] = await read(chain, 'revokeTermsOf', [parseAddress(patient, 'patient'), parseAddress(provider, 'provider')]);
  return { epoch: Number(epoch), directGrants: Number(directGrants) };
}

/** The patient's next unused nonce (grant, approve, deny; a revoke takes none). */
export async function nextNonce(chain: EmrChain, patient: string): Promise<bigint> {
  return read(chain, 'nonces', [parseAddress(patient, 'patient')]);
}

/**
 * The epoch a signed grant or approval must name: that of the (patient, provider) slot now
 * (for an approval, the request's provider). A revoke bumps it and voids the signature.
 */
export async function currentEpoch(chain: EmrChain, patient: string, provider: string): Promise<number> {
  const [, , , epoch] = await read(chain, 'grantOf', [parseAddress(patient, 'patient'), parseAddress(provider, 'provider')]);
  return Number(epoch);
}

/**
 * Signs `body` as `signer` (the patient). Works offline given chainId, contract, nonce and,
 * for grant and approve, the slot's current `epoch` (see `currentEpoch`).
 */
export async function signAction(
  signer: Signer,
  params: { chainId: bigint; contract: string; nonce: bigint; deadline: Date | number | bigint; action: ActionBody; epoch?: number },
): Promise<SignedAction> {
  const patient = parseAddress(await signer.getAddress(), 'signer');
  const deadline = toUnixSeconds(params.deadline, 'deadline');
  const { type, message } = typedMessage(patient, params.action, params.nonce, deadline, params.epoch);
  const domain = actionDomain(params.chainId, params.contract);
  const signature = await signer.signTypedData(domain, { [type]: EIP712_TYPES[type] }, message);
  return {
    kind: params.action.kind,
    chainId: params.chainId.toString(),
    contract: domain.verifyingContract as string,
    message: Object.fromEntries(Object.entries(message).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v])) as Record<
      string,
      string | number
    >,
    signature,
  };
}

/**
 * One field of a relayed message, parsed to its ABI type. The file comes from someone else:
 * a missing or mistyped value is a usage error naming the field, not an ethers crash.
 */
function uintField(m: Record<string, unknown>, name: string, bits: number): bigint {
  const v = m[name];
  let n: bigint | null = null;
  if ((typeof v === 'string' && /^[0-9]{1,78}$/.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v))) n = BigInt(v);
  if (n === null || n < 0n || n >= 1n << BigInt(bits)) throw badField(name, `a uint${bits}`);
  return n;
}

function addressField(m: Record<string, unknown>, name: string): string {
  const v = m[name];
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw badField(name, 'an address');
  return parseAddress(v, name);
}

function bytes32Field(m: Record<string, unknown>, name: string): string {
  const v = m[name];
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw badField(name, '32 bytes of hex');
  return v;
}

function badField(name: string, what: string): UsageError {
  return new UsageError(`signed action: ${name} is not ${what}`, { hint: 'relay the JSON file made by `--sign-only`, unchanged' });
}

/** An ECDSA signature is 65 bytes; anything far longer is not one (the contract checks the rest). */
function signatureOf(signed: SignedAction): string {
  if (typeof signed.signature !== 'string' || !/^0x(?:[0-9a-fA-F]{2}){1,256}$/.test(signed.signature))
    throw badField('signature', 'hex bytes');
  return signed.signature;
}

/** Relays a signed action from any funded account; the contract checks everything. */
export async function relaySigned(chain: EmrChain, signed: SignedAction): Promise<SentTx> {
  const m: Record<string, unknown> = signed.message;
  const sig = signatureOf(signed);
  switch (signed.kind) {
    case 'grant':
      return send(chain, 'grantBySig', [
        addressField(m, 'patient'),
        addressField(m, 'provider'),
        uintField(m, 'readMask', 32),
        uintField(m, 'writeMask', 32),
        uintField(m, 'expiry', 40),
        bytes32Field(m, 'keyDelivery'),
        uintField(m, 'epoch', 32),
        uintField(m, 'nonce', 256),
        uintField(m, 'deadline', 256),
        sig,
      ]);
    case 'revoke':
      return send(chain, 'revokeBySig', [
        addressField(m, 'patient'),
        addressField(m, 'provider'),
        uintField(m, 'epoch', 32),
        uintField(m, 'directGrants', 32),
        uintField(m, 'deadline', 256),
        sig,
      ]);
    case 'approve':
      return send(chain, 'approveBySig', [
        addressField(m, 'patient'),
        uintField(m, 'requestId', 256),
        uintField(m, 'expiry', 40),
        bytes32Field(m, 'keyDelivery'),
        uintField(m, 'epoch', 32),
        uintField(m, 'nonce', 256),
        uintField(m, 'deadline', 256),
        sig,
      ]);
    case 'deny':
      return send(chain, 'denyBySig', [
        addressField(m, 'patient'),
        uintField(m, 'requestId', 256),
        uintField(m, 'nonce', 256),
        uintField(m, 'deadline', 256),
        sig,
      ]);
  }
}
