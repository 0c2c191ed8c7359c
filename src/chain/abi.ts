/**
 * The typed face of the EmrAccess ABI. `emrAbi` (abi.generated.ts) is the solc output as
 * an `as const` value written at build time; abitype turns it into the names, argument
 * tuples and result types every contract call in src/chain is checked against, so a
 * renamed function, a dropped parameter or a changed type fails `tsc`, not a user.
 *
 * abitype is types only (nothing of it runs); ethers v6 stays the runtime. The Register
 * below maps Solidity types to what ethers v6 actually takes and returns: addresses and
 * bytes as hex strings, every integer returned as bigint (ethers never returns a number
 * for a uint8), and integers accepted as bigint or number (`Loose`).
 */
import type {
  AbiParametersToPrimitiveTypes,
  ExtractAbiError,
  ExtractAbiErrorNames,
  ExtractAbiEvent,
  ExtractAbiEventNames,
  ExtractAbiFunction,
  ExtractAbiFunctionNames,
} from 'abitype';
import type { emrAbi } from './abi.generated.js';

declare module 'abitype' {
  interface Register {
    addressType: string;
    bytesType: { inputs: string | Uint8Array; outputs: string };
    intType: bigint;
    bigIntType: bigint;
  }
}

export type EmrAbi = typeof emrAbi;

/** Functions that change state: sent as transactions (send.ts). */
export type WriteName = ExtractAbiFunctionNames<EmrAbi, 'nonpayable' | 'payable'>;
/** Functions that only read: called (read.ts). */
export type ReadName = ExtractAbiFunctionNames<EmrAbi, 'view' | 'pure'>;
export type FunctionName = WriteName | ReadName;
export type EventName = ExtractAbiEventNames<EmrAbi>;
export type ErrorName = ExtractAbiErrorNames<EmrAbi>;

/** ethers takes a number wherever it takes a bigint (BigNumberish). */
type Loose<T> = T extends bigint ? bigint | number : T extends readonly unknown[] ? { readonly [K in keyof T]: Loose<T[K]> } : T;

/** The argument tuple of function `N`, in ABI order. */
export type FunctionArgs<N extends FunctionName> = Loose<AbiParametersToPrimitiveTypes<ExtractAbiFunction<EmrAbi, N>['inputs'], 'inputs'>>;

type Unwrap<T> = T extends readonly [] ? undefined : T extends readonly [infer Only] ? Only : T;
/**
 * What ethers resolves a call of `N` to: nothing, the single value, or (several outputs) a
 * Result, typed here as its positional tuple.
 */
export type FunctionResult<N extends FunctionName> = Unwrap<
  AbiParametersToPrimitiveTypes<ExtractAbiFunction<EmrAbi, N>['outputs'], 'outputs'>
>;

/** The decoded arguments of event `N`, in ABI order (positional, as ethers' Result). */
export type EventArgs<N extends EventName> = AbiParametersToPrimitiveTypes<ExtractAbiEvent<EmrAbi, N>['inputs'], 'outputs'>;

/** The decoded arguments of custom error `N`. */
export type ErrorArgs<N extends ErrorName> = AbiParametersToPrimitiveTypes<ExtractAbiError<EmrAbi, N>['inputs'], 'outputs'>;
