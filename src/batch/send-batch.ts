/**
 * One `addRecords` transaction, journaled around the broadcast (MANIFEST.md § 6.1):
 * estimate (a refusal names the contract's error before gas is spent), sign locally with
 * the next nonce, journal the hash and the signed bytes, broadcast, poll for the receipt.
 * Because the hash is durable before the bytes leave the process, a resume can always
 * tell whether this exact transaction was mined, and can re-broadcast it unchanged.
 */
import type { TransactionReceipt } from 'ethers';
import { keccak256 } from 'ethers/crypto';
import { NonceManager } from 'ethers/providers';
import { packRecords } from '../chain/add-records.js';
import { toChainError } from '../chain/errors.js';
import { requireSigner, writeMethod } from '../chain/send.js';
import type { EmrChain } from '../chain/types.js';
import { type EmrError, UnavailableError, UsageError } from '../errors.js';
import type { Journal } from './journal.js';

export interface BatchEntry {
  key: string;
  patient: string;
  recordType: number;
  cidCodec: number;
  digest: string;
}

export interface MinedBatch {
  txHash: string;
  gasUsed: bigint;
  blockNumber: number;
  /** Record id per key. */
  ids: Map<string, string>;
}

export interface WaitOptions {
  /** Give up (UNAVAILABLE, resumable) when no receipt after this long. */
  timeoutMs?: number;
  /** Consecutive transport failures tolerated while polling. */
  maxFailures?: number;
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function nonceManager(chain: EmrChain): NonceManager {
  const s = requireSigner(chain);
  if (!(s instanceof NonceManager))
    throw new UsageError('batch needs the chain client signer', { hint: 'connect with connectChain({signer})' });
  return s;
}

/** Polls for a receipt; chain down for longer than the failure budget → UNAVAILABLE. */
export async function waitForReceipt(chain: EmrChain, txHash: string, opts: WaitOptions = {}): Promise<TransactionReceipt> {
  const pollMs = opts.pollMs ?? 100;
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let failures = 0;
  for (;;) {
    try {
      const r = await chain.provider.getTransactionReceipt(txHash);
      failures = 0;
      if (r) return r;
    } catch (e) {
      if (++failures > (opts.maxFailures ?? 10)) {
        const err = toChainError(e, chain.iface);
        throw err instanceof UnavailableError
          ? new UnavailableError(`lost the chain while waiting for ${txHash}`, {
              hint: 'the transaction may still confirm; run again with --resume once the chain is back',
              cause: e,
              details: { txHash },
            })
          : err;
      }
    }
    if (Date.now() > deadline) {
      throw new UnavailableError(`transaction ${txHash} not mined in time`, {
        hint: 'run again with --resume: the journal knows this transaction',
        details: { txHash },
      });
    }
    await sleep(pollMs);
  }
}

/**
 * RecordAdded ids of a mined batch, checked entry by entry against what was sent.
 * Decoded by hand (CONTRACT.md § Events: `RecordAdded(uint256 indexed id, address indexed
 * patient, address indexed author, uint8 recordType, uint8 cidCodec, bytes32 digest)`):
 * ethers' parseLog re-hashes every event signature per log, 3% of a 1,000-row job.
 */
export function idsFromReceipt(
  chain: EmrChain,
  receipt: TransactionReceipt,
  entries: readonly { key: string; digest: string }[],
): Map<string, string> {
  const topic = chain.iface.getEvent('RecordAdded')!.topicHash;
  const contract = chain.address.toLowerCase();
  const evs: Array<{ id: bigint; digest: string }> = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== contract || log.topics[0] !== topic) continue;
    // 3 indexed topics after the signature; data = recordType ‖ cidCodec ‖ digest (3 words).
    if (log.topics.length !== 4 || log.data.length !== 2 + 3 * 64) {
      throw new UnavailableError(`transaction ${receipt.hash} has a malformed RecordAdded event`, { hint: 'check --contract' });
    }
    evs.push({ id: BigInt(log.topics[1]!), digest: '0x' + log.data.slice(2 + 2 * 64) });
  }
  if (evs.length !== entries.length) {
    throw new UnavailableError(`transaction ${receipt.hash} added ${evs.length} records, expected ${entries.length}`, {
      hint: 'check --contract',
    });
  }
  const ids = new Map<string, string>();
  entries.forEach((e, i) => {
    const ev = evs[i]!;
    if (ev.digest.toLowerCase() !== e.digest.toLowerCase()) {
      throw new UnavailableError(`transaction ${receipt.hash} registered another digest than sent`, { hint: 'check --contract' });
    }
    ids.set(e.key, ev.id.toString());
  });
  return ids;
}

/** Why a mined batch reverted: the same call replayed at its block names the error. */
async function revertReason(chain: EmrChain, from: string, data: string, receipt: TransactionReceipt): Promise<EmrError> {
  try {
    await chain.provider.call({ to: chain.address, from, data, blockTag: receipt.blockNumber });
  } catch (e) {
    return toChainError(e, chain.iface);
  }
  return new UnavailableError(`transaction ${receipt.hash} reverted`, {
    hint: 'out of gas or a changed state; run again with --resume',
    details: { txHash: receipt.hash },
  });
}

export async function sendBatch(
  chain: EmrChain,
  journal: Journal,
  entries: readonly BatchEntry[],
  wait: WaitOptions = {},
  /** Called once the transaction is on its way, before its receipt is awaited (progress). */
  onSent?: (txHash: string) => void,
): Promise<MinedBatch> {
  const nm = nonceManager(chain);
  const wallet = nm.signer;
  const from = await nm.getAddress();
  const fn = writeMethod(chain, 'addRecords');
  const packed = packRecords(
    entries.map((e) => ({ patient: e.patient, recordType: e.recordType, cidCodec: e.cidCodec, digest: e.digest })),
  );
  let gasLimit: bigint;
  try {
    gasLimit = ((await fn.estimateGas([packed], { from })) * 12n) / 10n + 10_000n;
  } catch (e) {
    throw toChainError(e, chain.iface);
  }
  let raw: string;
  let txHash: string;
  let nonce: number;
  let data: string;
  try {
    const tx = await fn.populateTransaction([packed], { gasLimit });
    data = tx.data;
    nonce = await nm.getNonce('pending');
    nm.increment();
    const populated = await wallet.populateTransaction({ ...tx, nonce, gasLimit });
    raw = await wallet.signTransaction(populated);
    // A signed transaction's hash is the Keccak-256 of its bytes (EIP-2718, and RLP for a
    // legacy one): parsing them back (ethers' Transaction.from) re-serialized them first.
    txHash = keccak256(raw);
  } catch (e) {
    nm.reset();
    throw toChainError(e, chain.iface);
  }
  journal.append({ ev: 'tx', txHash, nonce, keys: entries.map((e) => e.key), raw });
  try {
    // eth_sendRawTransaction itself: ethers' broadcastTransaction also asks for the block
    // number and parses the bytes again, recovering the sender with a JS secp256k1 (~15 ms
    // a transaction here, what `--batch-size 1` paid per record; issue 26 § 2). Errors are
    // ethers' mapped ones all the same (its send() maps JSON-RPC errors).
    const said: unknown = await chain.provider.send('eth_sendRawTransaction', [raw]);
    if (typeof said !== 'string' || said.toLowerCase() !== txHash.toLowerCase()) {
      throw new UnavailableError(`the node answered another transaction hash than ${txHash}`, {
        hint: 'check --rpc-url; run again with --resume: the journal knows this transaction',
        details: { txHash },
      });
    }
  } catch (e) {
    // The bytes may or may not have reached the node: the journal's `tx` line lets a
    // resume find out. Nothing else is sent in this run.
    nm.reset();
    throw toChainError(e, chain.iface);
  }
  journal.append({ ev: 'sent', txHash });
  onSent?.(txHash);
  const receipt = await waitForReceipt(chain, txHash, wait);
  if (receipt.status !== 1) {
    journal.append({ ev: 'abandoned', txHash, reason: 'reverted' });
    throw await revertReason(chain, from, data, receipt);
  }
  const ids = idsFromReceipt(chain, receipt, entries);
  journal.append({
    ev: 'confirmed',
    txHash,
    ids: Object.fromEntries(ids),
    gasUsed: receipt.gasUsed.toString(),
    blockNumber: receipt.blockNumber,
  });
  return { txHash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber, ids };
}
