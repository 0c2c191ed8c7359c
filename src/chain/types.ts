/** Shared types of the chain layer (docs/CONTRACT.md). */
import type { Contract, Interface, JsonRpcProvider, Signer } from 'ethers';
import type { LogIndex } from './log-index.js';

/** A connected client: one per command run, never module-level. */
export interface EmrChain {
  readonly provider: JsonRpcProvider;
  /** Read-only contract bound to the provider. */
  readonly contract: Contract;
  readonly iface: Interface;
  /** Checksummed contract address. */
  readonly address: string;
  readonly chainId: bigint;
  /** The acting account (wrapped for sequential nonces), when one was given. */
  readonly signer: Signer | undefined;
  /** First block to scan for logs (the deployment block when known). */
  readonly fromBlock: number;
  /**
   * Blocks per `eth_getLogs` request to start with (CONTRACT.md § Reading logs); undefined:
   * the whole range in one request (the embedded devnet).
   */
  readonly logWindow?: number;
  /**
   * The local index of the contract's events (CONTRACT.md § Log index), set by the session
   * off the embedded devnet; absent, every query reads the chain.
   */
  readonly logIndex?: LogIndex;
  /** The endpoint's URL (for messages: print it through endpointLabel only). */
  readonly rpcUrl?: string;
  /**
   * Checks a recipient read from chain before anything is encrypted to it (SHARING.md § 8.2:
   * the contact book); throws IntegrityError when it is not the one pinned for the address.
   * Set by the session; absent, nothing is pinned (tests driving the contract directly).
   */
  readonly vetRecipient?: (address: string, recipient: string) => Promise<void>;
  /** Further endpoints of the same chain the recipient reads are cross-checked on (§ 8.4). */
  readonly witnesses?: readonly EmrChain[];
}

export type Role = 'patient' | 'provider';
export const ROLE_CODES: Readonly<Record<Role, number>> = Object.freeze({ patient: 1, provider: 2 });
export function roleName(code: number): Role | null {
  return code === 1 ? 'patient' : code === 2 ? 'provider' : null;
}

/** CID codecs a record may use (CONTRACT.md § Model). */
export const CODEC_RAW = 0x55;
export const CODEC_DAG_PB = 0x70;

/** What a successful transaction leaves behind. */
export interface SentTx {
  txHash: string;
  blockNumber: number;
  gasUsed: bigint;
}
