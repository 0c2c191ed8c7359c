/**
 * send: estimate (so a refusal surfaces as the contract's own custom error before any
 * gas is spent), send, wait. A receipt with status 0 is always an error, never a result.
 */
import type { ContractTransaction, Overrides, TransactionReceipt, TransactionResponse } from 'ethers';
import { NonceManager } from 'ethers/providers';
import { isError } from 'ethers/utils';
import { type EmrError, UnavailableError, UsageError } from '../errors.js';
import type { EventName, FunctionArgs, WriteName } from './abi.js';
import { toChainError } from './errors.js';
import { type DecodedEvent, decodeEvent } from './logs.js';
import type { EmrChain, SentTx } from './types.js';

export interface SendOptions {
  /** Skip estimation and use this limit (tests use it to force an on-chain revert). */
  gasLimit?: bigint;
}

export interface SentTxWithLogs extends SentTx {
  receipt: TransactionReceipt;
  /** This contract's events emitted by the transaction, decoded. */
  events: DecodedEvent[];
}

export function requireSigner(chain: EmrChain) {
  if (!chain.signer) {
    throw new UsageError('this action needs an account to sign with', {
      hint: 'pick a profile with --profile (and its passphrase with --password-file)',
    });
  }
  return chain.signer;
}

/**
 * The ethers method `name` with its arguments typed from the ABI, for a caller that signs
 * and broadcasts itself (batch/send-batch.ts journals the signed bytes first).
 */
export function writeMethod<N extends WriteName>(chain: EmrChain, name: N) {
  const fn = chain.contract.getFunction(name);
  return {
    estimateGas: (args: FunctionArgs<N>, overrides: Overrides): Promise<bigint> =>
      fn.estimateGas(...(args as readonly unknown[]), overrides),
    populateTransaction: (args: FunctionArgs<N>, overrides: Overrides): Promise<ContractTransaction> =>
      fn.populateTransaction(...(args as readonly unknown[]), overrides),
  };
}

/** Sends `method` of the contract; its name and `args` are checked against the ABI (abi.ts). */
export async function send<N extends WriteName>(
  chain: EmrChain,
  method: N,
  args: FunctionArgs<N>,
  opts: SendOptions = {},
): Promise<SentTxWithLogs> {
  const signer = requireSigner(chain);
  const fn = writeMethod(chain, method);
  const from = await signer.getAddress();
  let gasLimit = opts.gasLimit;
  if (gasLimit === undefined) {
    try {
      const estimate = await fn.estimateGas(args, { from });
      gasLimit = (estimate * 12n) / 10n + 10_000n;
    } catch (e) {
      throw toChainError(e, chain.iface, from);
    }
  }
  const tx = await fn.populateTransaction(args, { gasLimit });
  let response;
  try {
    response = await signer.sendTransaction(tx);
  } catch (e) {
    // The nonce was taken but no tx went out: start again from the chain's count.
    if (signer instanceof NonceManager) signer.reset();
    throw toChainError(e, chain.iface, from);
  }
  let receipt: TransactionReceipt | null;
  try {
    receipt = await waitWatched(response);
  } catch (e) {
    const r = (e as { receipt?: TransactionReceipt }).receipt;
    if (r) throw await explainRevert(chain, from, tx.data, r);
    const err = toChainError(e, chain.iface);
    // Replaced by another transaction of the same account: its outcome is known.
    throw isError(e, 'TRANSACTION_REPLACED') ? err : sentButUnknown(response.hash, err);
  }
  if (!receipt) {
    throw new UnavailableError('transaction was dropped', { hint: 'retry the command' });
  }
  if (receipt.status !== 1) throw await explainRevert(chain, from, tx.data, receipt);
  const events: DecodedEvent[] = [];
  for (const log of receipt.logs) {
    const ev = decodeEvent(chain.iface, chain.address, log);
    if (ev) events.push(ev);
  }
  return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, receipt, events };
}

/**
 * `response.wait()`, but ended when the node stops answering. ethers waits for a receipt by
 * polling for new blocks and swallows every failed poll, so a node that hangs or dies while
 * the transaction sits in its pool held the command forever (docs/DEVNET.md § 2.2). Beside
 * it, one block-number read per polling interval, each bounded by EMR_RPC_TIMEOUT
 * (transport.ts): the first that fails ends the wait with its error. A transaction mined at
 * once (automine) is answered by wait()'s first receipt read, before the first tick.
 */
export async function waitWatched(response: TransactionResponse): Promise<TransactionReceipt | null> {
  const provider = response.provider as TransactionResponse['provider'] & { pollingInterval?: number };
  const interval = provider.pollingInterval ?? 1_000;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    const tick = async () => {
      try {
        await provider.getBlockNumber();
      } catch (e) {
        if (!done) reject(e);
        return;
      }
      if (!done) timer = setTimeout(tick, interval);
    };
    timer = setTimeout(tick, interval);
  });
  try {
    return await Promise.race([response.wait(), watchdog]);
  } finally {
    done = true;
    clearTimeout(timer);
  }
}

/**
 * The transaction went out but its outcome is unknown (the node stopped answering before
 * its receipt): say so, with its hash, so that nobody takes exit 6 for "nothing happened"
 * and repeats a write blindly. Other errors pass unchanged.
 */
export function sentButUnknown(txHash: string, err: EmrError): EmrError {
  if (!(err instanceof UnavailableError)) return err;
  return new UnavailableError(`transaction ${txHash} was sent, but ${err.message}`, {
    hint: `${err.hint ?? 'retry'}; the transaction may still be mined: check \`emr audit\` before repeating a write that is not idempotent`,
    cause: err,
    details: { txHash },
  });
}

/** A mined revert carries no reason: replay the call at that block to name it. */
async function explainRevert(chain: EmrChain, from: string, data: string, receipt: TransactionReceipt) {
  try {
    await chain.provider.call({ to: chain.address, from, data, blockTag: receipt.blockNumber });
  } catch (e) {
    const err = toChainError(e, chain.iface);
    if (err.code !== 'UNAVAILABLE') return err;
  }
  return new UnavailableError(`transaction ${receipt.hash} reverted`, {
    hint: 'the transaction was mined but failed (out of gas or a changed state); retry the command',
    details: { txHash: receipt.hash, blockNumber: receipt.blockNumber },
  });
}

/** The first event of a given name in a sent transaction (the contract always emits it). */
export function eventOf<N extends EventName>(sent: SentTxWithLogs, name: N): DecodedEvent<N> {
  const ev = sent.events.find((e) => e.name === name) as DecodedEvent<N> | undefined;
  if (!ev) throw new UnavailableError(`transaction ${sent.txHash} emitted no ${name} event`, { hint: 'check --contract' });
  return ev;
}
