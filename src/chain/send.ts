/**
 * send: estimate (so a refusal surfaces as the contract's own custom error before any
 * gas is spent), send, wait. A receipt with status 0 is always an error, never a result.
 */
import { NonceManager, type LogDescription, type TransactionReceipt } from 'ethers';
import { UnavailableError, UsageError } from '../errors.js';
import { toChainError } from './errors.js';
import type { EmrChain, SentTx } from './types.js';

export interface SendOptions {
  /** Skip estimation and use this limit (tests use it to force an on-chain revert). */
  gasLimit?: bigint;
}

export interface SentTxWithLogs extends SentTx {
  receipt: TransactionReceipt;
  /** This contract's events emitted by the transaction, decoded. */
  events: LogDescription[];
}

export function requireSigner(chain: EmrChain) {
  if (!chain.signer) {
    throw new UsageError('this action needs an account to sign with', {
      hint: 'pick a profile with --profile (and its passphrase with --password-file)',
    });
  }
  return chain.signer;
}

export async function send(
  chain: EmrChain,
  method: string,
  args: readonly unknown[],
  opts: SendOptions = {},
): Promise<SentTxWithLogs> {
  const signer = requireSigner(chain);
  const fn = chain.contract.getFunction(method);
  const from = await signer.getAddress();
  let gasLimit = opts.gasLimit;
  if (gasLimit === undefined) {
    try {
      const estimate = await fn.estimateGas(...args, { from });
      gasLimit = (estimate * 12n) / 10n + 10_000n;
    } catch (e) {
      throw toChainError(e, chain.iface, from);
    }
  }
  const tx = await fn.populateTransaction(...args, { gasLimit });
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
    receipt = await response.wait();
  } catch (e) {
    const r = (e as { receipt?: TransactionReceipt }).receipt;
    if (r) throw await explainRevert(chain, from, tx.data, r);
    throw toChainError(e, chain.iface);
  }
  if (!receipt) {
    throw new UnavailableError('transaction was dropped', { hint: 'retry the command' });
  }
  if (receipt.status !== 1) throw await explainRevert(chain, from, tx.data, receipt);
  const events: LogDescription[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== chain.address.toLowerCase()) continue;
    const parsed = chain.iface.parseLog(log);
    if (parsed) events.push(parsed);
  }
  return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, receipt, events };
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
export function eventOf(sent: SentTxWithLogs, name: string): LogDescription {
  const ev = sent.events.find((e) => e.name === name);
  if (!ev) throw new UnavailableError(`transaction ${sent.txHash} emitted no ${name} event`, { hint: 'check --contract' });
  return ev;
}
