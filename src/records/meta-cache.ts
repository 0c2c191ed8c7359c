/**
 * A cache of the record metadata a profile has decrypted and verified, so `record list
 * --details` does not decrypt every record again (docs/FHIR.md § 6). The metadata is PHI
 * (titles, dates of care, facility, MRN): the cache is one age file encrypted to the
 * profile's own recipient (mode 0600), never plaintext on disk. Keyed by CID (content
 * addressed: a re-keyed record has a new CID and is decrypted again) and by chain and
 * contract, so one deployment's cache never answers for another.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleMetadata } from '../crypto/bundle-format.js';
import type { HistoryItem } from '../fhir/summary.js';
import type { Only } from '../session/index.js';
import { readSealedFile, writeSealedFile } from '../session/sealed-file.js';

/** Bound on what is read back (hostile or corrupt files): 64 MiB, 100,000 entries. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 100_000;

export interface CachedMeta {
  meta: BundleMetadata;
  /** The signer, verified when the entry was made. */
  author: string;
  /**
   * The dated clinical items of a FHIR record (docs/FHIR.md § 11.5), as `emr history` read
   * them from its content; `v` is the summary rules' version, older entries are read again.
   */
  history?: { v: number; items: HistoryItem[]; undated: number };
}

export class MetaCache {
  private entries = new Map<string, CachedMeta>();
  private dirty = false;
  private readonly file: string;

  constructor(
    home: string,
    private readonly me: { address: string; identity: string; recipient: string },
    private readonly scope: string,
  ) {
    this.file = join(home, 'cache', `record-meta-${me.address.toLowerCase()}.age`);
  }

  /** The acting profile's cache for this chain and contract, loaded. */
  static async open(s: Only<'home' | 'chain' | 'me'>): Promise<MetaCache> {
    const cache = new MetaCache(
      s.home,
      { address: s.me.profile.address.toLowerCase(), identity: s.me.age.identity, recipient: s.me.age.recipient },
      `${s.chain.chainId}:${s.chain.address.toLowerCase()}`,
    );
    await cache.load();
    return cache;
  }

  async load(): Promise<void> {
    if (!existsSync(this.file)) return;
    try {
      const text = await readSealedFile(this.file, this.me.identity, MAX_CACHE_BYTES);
      const doc = JSON.parse(text.toString('utf8')) as { v: number; scope: string; entries: Record<string, CachedMeta> };
      text.fill(0);
      if (doc.v !== 1 || doc.scope !== this.scope || typeof doc.entries !== 'object') return;
      const list = Object.entries(doc.entries);
      if (list.length > MAX_ENTRIES) return;
      this.entries = new Map(list);
    } catch {
      // A cache that does not open is only a cache: start again (it is rewritten on save).
      this.entries = new Map();
    }
  }

  get(cid: string): CachedMeta | undefined {
    return this.entries.get(cid);
  }

  put(cid: string, v: CachedMeta): void {
    this.entries.set(cid, v);
    this.dirty = true;
  }

  /** Forgets these CIDs' entries (an erased record: CONTRACT.md § Erasure). Whether any was here. */
  drop(cids: readonly string[]): boolean {
    let hit = false;
    for (const c of cids) hit = this.entries.delete(c) || hit;
    if (hit) this.dirty = true;
    return hit;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    const pt = Buffer.from(JSON.stringify({ v: 1, scope: this.scope, entries: Object.fromEntries(this.entries) }), 'utf8');
    try {
      await writeSealedFile(this.file, this.me.recipient, pt);
    } finally {
      pt.fill(0);
    }
    this.dirty = false;
  }
}
