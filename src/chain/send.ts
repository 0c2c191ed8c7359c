/**
 * send: estimate (so a refusal surfaces as the contract's own custom error before any
 * gas is spent), send, wait. A receipt with status 0 is always an error, never a result.
 */
import type { ContractTransaction, Overrides, TransactionReceipt, TransactionResponse } from 'ethers';
import { NonceManager } from 'ethers/providers';
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
    // Replaced by another transaction of the same account (waitWatched): its outcome is known.
    if (e instanceof UnavailableError && e.details?.replaced) throw e;
    throw sentButUnknown(response.hash, toChainError(e, chain.iface));
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
 * Waits for the receipt of `response` by reading it once per polling interval, each read
 * bounded by EMR_RPC_TIMEOUT (transport.ts), so the first read that fails ends the wait
 * with its error (docs/DEVNET.md § 2.2). Not ethers' `response.wait()`: it swallows every
 * failed poll (a node that hangs while the transaction sits in its pool held the command
 * forever), and its per-block receipt poller (OnBlockSubscriber) calls `_poll` without
 * handling its promise, so a node that stopped answering mid-wait crashed the process with
 * an unhandled rejection (exit 1 instead of 6; seen in CI). A transaction mined at once
 * (automine) is answered by the first read. A receipt with status 0 is returned: the
 * caller explains the revert. A nonce the account has used past this transaction, with no
 * receipt for it, means another transaction replaced it.
 */
export async function waitWatched(response: TransactionResponse): Promise<TransactionReceipt | null> {
  const provider = response.provider as TransactionResponse['provider'] & { pollingInterval?: number };
  const interval = provider.pollingInterval ?? 1_000;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(response.hash);
    if (receipt) return receipt;
    const used = await provider.getTransactionCount(response.from, 'latest');
    if (used > response.nonce) {
      // Mined between the two reads, or replaced: one more read tells which.
      const late = await provider.getTransactionReceipt(response.hash);
      if (late) return late;
      throw new UnavailableError(`transaction ${response.hash} was replaced by another transaction of the same account`, {
        hint: 'its nonce was used by a different transaction (another process or wallet of this account); check `emr audit`, then retry',
        details: { txHash: response.hash, replaced: true },
      });
    }
    await new Promise((r) => setTimeout(r, interval));
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
