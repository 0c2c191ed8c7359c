/**
 * read: calls a view function of the contract. The function name, the arguments and the
 * result type are checked against the ABI (abi.ts), so callers need no casts. A failure
 * becomes the house error (a custom error by name, or UNAVAILABLE), as for `send`.
 */
import type { FunctionArgs, FunctionResult, ReadName } from './abi.js';
import { toChainError } from './errors.js';
import type { EmrChain } from './types.js';

export async function read<N extends ReadName>(chain: EmrChain, method: N, args: FunctionArgs<N>): Promise<FunctionResult<N>> {
  try {
    // ethers resolves a single output to its value and several to a Result (positional).
    return (await chain.contract.getFunction(method).staticCall(...(args as readonly unknown[]))) as FunctionResult<N>;
  } catch (e) {
    throw toChainError(e, chain.iface);
  }
}
