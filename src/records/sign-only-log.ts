/**
 * The patient's log of sign-only key deliveries (docs/SHARING.md § 2.7). A `grant
 * --sign-only` stores and pins its key-delivery object before anyone relays the signature,
 * and its CID travels with the signed file to the provider. Until the grant is relayed the
 * chain has no trace of it, so neither the re-key scope (§ 3.5, derived from the chain) nor
 * the store would ever learn that those keys left. This log is that trace:
 *
 *   <home>/deliveries/<patient, lower-case>/<delivery CID>.age   one entry, age-encrypted to
 *                                                                the patient's own key
 *   <home>/deliveries/<patient>/<delivery CID>.gone             the delivery left the store
 *
 * An entry's plaintext: {"v":1,"kind":"emr-sign-only-delivery","patient","provider","cid",
 * "digest","epoch","nonce","deadline","records":[{"id","cid"}]}. Entries are never deleted:
 * the provider may have fetched the delivery before it was voided, so re-key must count
 * it for ever (§ 3.5).
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { addressTopic, queryEvents } from '../chain/logs.js';
import { currentEpoch, nextNonce } from '../chain/signed-actions.js';
import type { EmrChain } from '../chain/types.js';
import { writeFileAtomic } from '../fs-atomic.js';
import type { RecordStore } from '../ipfs/store.js';
import { readSealedFile, writeSealedFile } from '../session/sealed-file.js';
import type { Unlocked } from '../session/unlock.js';

export interface SignOnlyDelivery {
  patient: string;
  provider: string;
  /** The key-delivery object's CID and the digest the signature names. */
  cid: string;
  digest: string;
  /** The grant slot's epoch and the patient's nonce the signature names. */
  epoch: number;
  nonce: string;
  /** Unix seconds after which the signature is void. */
  deadline: number;
  /** The records whose keys it carries, each with the CID that key opens. */
  records: Array<{ id: string; cid: string }>;
}

/** Bounds: the log is the patient's own, but a loop over a directory is still bounded. */
const MAX_ENTRIES = 10_000;
const MAX_ENTRY_BYTES = 1024 * 1024;
const CID_NAME = /^[a-z2-7]{8,100}$/;

export class SignOnlyLog {
  private readonly dir: string;
  constructor(
    home: string,
    private readonly me: Pick<Unlocked, 'profile' | 'age'>,
  ) {
    this.dir = join(home, 'deliveries', me.profile.address.toLowerCase());
  }

  /** Writes the entry before the signed file is handed out, so a crash cannot lose it. */
  async record(entry: SignOnlyDelivery): Promise<void> {
    const plain = Buffer.from(JSON.stringify({ v: 1, kind: 'emr-sign-only-delivery', ...entry }));
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    try {
      await writeSealedFile(join(this.dir, `${entry.cid}.age`), this.me.age.recipient, plain);
    } finally {
      plain.fill(0);
    }
  }

  /** Every entry of this patient, oldest unknown order; unreadable entries are skipped. */
  async entries(): Promise<Array<SignOnlyDelivery & { gone: boolean }>> {
    if (!existsSync(this.dir)) return [];
    const names = readdirSync(this.dir)
      .filter((n) => n.endsWith('.age') && CID_NAME.test(n.slice(0, -4)))
      .slice(0, MAX_ENTRIES);
    const out: Array<SignOnlyDelivery & { gone: boolean }> = [];
    for (const name of names) {
      try {
        const text = await readSealedFile(join(this.dir, name), this.me.age.identity, MAX_ENTRY_BYTES);
        const e = JSON.parse(text.toString('utf8')) as SignOnlyDelivery & { v?: number; kind?: string };
        text.fill(0);
        if (e.v !== 1 || e.kind !== 'emr-sign-only-delivery' || e.patient?.toLowerCase() !== this.me.profile.address.toLowerCase())
          continue;
        if (`${e.cid}.age` !== name || !Array.isArray(e.records)) continue;
        out.push({ ...e, gone: existsSync(join(this.dir, `${e.cid}.gone`)) });
      } catch {
        // Not ours (another key), too large, or damaged: nothing it says can be trusted.
      }
    }
    return out;
  }

  /** A delivery that left the store for another reason: an erasure (CONTRACT.md § Erasure). */
  markForgotten(cid: string): void {
    if (CID_NAME.test(cid)) this.markGone(cid);
  }

  private markGone(cid: string): void {
    writeFileAtomic(join(this.dir, `${cid}.gone`), '', { overwrite: true });
  }

  /**
   * § 2.7: every sign-only delivery that can no longer be relayed and was not leaves the
   * store (unpinned and forgotten, as a re-key does for replaced ciphertext, § 3.3). Void:
   * the deadline passed by the chain's clock, the grant slot's epoch moved (a revoke), or
   * the nonce was spent by another action. A relayed one stays: its grantee reads it.
   * Returns the CIDs that left.
   */
  async settle(chain: EmrChain, store: RecordStore): Promise<string[]> {
    const open = (await this.entries()).filter((e) => !e.gone);
    if (!open.length) return [];
    const patient = this.me.profile.address;
    const [granted, nonce, latest] = await Promise.all([
      queryEvents(chain, { names: ['Granted'], topics: [addressTopic(patient)], fromBlock: chain.fromBlock }),
      nextNonce(chain, patient),
      chain.provider.getBlock('latest'),
    ]);
    const relayed = new Set(granted.map((ev) => `${(ev.args[1] as string).toLowerCase()}|${String(ev.args[5]).toLowerCase()}`));
    const now = latest?.timestamp ?? Math.floor(Date.now() / 1000);
    const left: string[] = [];
    const epochs = new Map<string, number>();
    for (const e of open) {
      if (relayed.has(`${e.provider.toLowerCase()}|${e.digest.toLowerCase()}`)) continue;
      const p = e.provider.toLowerCase();
      if (!epochs.has(p)) epochs.set(p, await currentEpoch(chain, patient, e.provider));
      const void_ = now > e.deadline || epochs.get(p) !== e.epoch || nonce > BigInt(e.nonce);
      if (!void_) continue;
      await store.forget(e.cid);
      this.markGone(e.cid);
      left.push(e.cid);
    }
    return left;
  }

  /**
   * § 3.5: the records whose *current* ciphertext a sign-only delivery to `provider` opens,
   * relayed or not, voided or not (the provider may have fetched it in time).
   */
  async exposedTo(provider: string, current: ReadonlyArray<{ id: bigint; cid: string }>): Promise<Set<string>> {
    const cidOf = new Map(current.map((r) => [r.id.toString(), r.cid]));
    const out = new Set<string>();
    for (const e of await this.entries()) {
      if (e.provider.toLowerCase() !== provider.toLowerCase()) continue;
      for (const r of e.records) if (cidOf.get(String(r.id)) === r.cid) out.add(String(r.id));
    }
    return out;
  }
}
