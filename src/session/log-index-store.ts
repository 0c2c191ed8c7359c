/**
 * Where the chain's log index (CONTRACT.md § Log index) is kept between runs:
 * `<home>/cache/chain-index-<profile>-<chainId>-<contract>-<endpoint>.age`, sealed to the acting
 * profile like every file in cache/ (docs/FHIR.md § 6): the events are public, but which
 * deployment a user reads, and when, is not for other local users.
 *
 * Sealing to one's own recipient hides the bytes but does not authenticate them (anyone can
 * encrypt to a public recipient), so the document carries an HMAC-SHA256 keyed from the
 * profile's age identity: a file not written by this profile is not an index and is rebuilt.
 * The profile is only read when the run already unlocked it; otherwise there is no store
 * and the run indexes in memory only.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LogIndex, type LogIndexStore, MAX_INDEX_BYTES } from '../chain/log-index.js';
import type { Context } from '../context.js';
import { readSealedFile, writeSealedFile } from './sealed-file.js';
import { unlockedNow } from './unlock.js';

const MAC_LABEL = 'emr/chain-log-index/v1';

/**
 * The endpoint as a name: 16 hex digits of the URL's SHA-256 (a URL may carry an API key,
 * and is never written out). One index per endpoint: the client trusts its endpoint for logs
 * (CONTRACT.md § Trust model), and what one endpoint said must not answer for another.
 */
const endpointTag = (rpcUrl: string): string => createHash('sha256').update(rpcUrl).digest('hex').slice(0, 16);

export function indexFile(home: string, profileAddress: string, scope: IndexScope): string {
  const name = `chain-index-${profileAddress.toLowerCase()}-${scope.chainId}-${scope.address.toLowerCase()}-${endpointTag(scope.rpcUrl)}.age`;
  return join(home, 'cache', name);
}

interface IndexScope {
  chainId: bigint;
  address: string;
  fromBlock: number;
  rpcUrl: string;
}

function macKey(identity: string): Buffer {
  return createHmac('sha256', Buffer.from(identity, 'utf8')).update(MAC_LABEL).digest();
}

/** The store of the acting profile, resolved at first use (after the command unlocked). */
function sealedStore(ctx: Context, scope: IndexScope): LogIndexStore {
  const me = () => {
    const u = unlockedNow(ctx);
    return u ? { file: indexFile(ctx.home, u.profile.address, scope), identity: u.age.identity, recipient: u.age.recipient } : null;
  };
  return {
    async load() {
      const m = me();
      if (!m || !existsSync(m.file)) return null;
      let pt: Buffer;
      try {
        pt = await readSealedFile(m.file, m.identity, MAX_INDEX_BYTES + 128);
      } catch {
        return null;
      }
      // "<64 hex mac>\n<document>": the MAC covers the document's bytes.
      const key = macKey(m.identity);
      try {
        if (pt.length < 65 || pt[64] !== 0x0a) return null;
        const mac = Buffer.from(pt.subarray(0, 64).toString('latin1'), 'hex');
        const body = pt.subarray(65);
        const want = createHmac('sha256', key).update(body).digest();
        return mac.length === 32 && timingSafeEqual(mac, want) ? Buffer.from(body) : null;
      } finally {
        key.fill(0);
        pt.fill(0);
      }
    },
    async save(bytes) {
      const m = me();
      if (!m) return;
      const key = macKey(m.identity);
      const mac = createHmac('sha256', key).update(bytes).digest('hex');
      key.fill(0);
      await writeSealedFile(m.file, m.recipient, Buffer.concat([Buffer.from(mac + '\n', 'latin1'), bytes]));
    },
    async drop() {
      const m = me();
      if (m) rmSync(m.file, { force: true });
    },
  };
}

/** The log index of one run for a deployment read through one endpoint (its scope). */
export function logIndexFor(ctx: Context, chain: IndexScope): LogIndex {
  const scope = `${chain.chainId}:${chain.address.toLowerCase()}:${chain.fromBlock}:${endpointTag(chain.rpcUrl)}`;
  // One per run and deployment: the read-only and the signing client share it.
  const key = `logIndex:${scope}`;
  let index = ctx.cache.get(key) as LogIndex | undefined;
  if (!index) {
    index = new LogIndex(sealedStore(ctx, chain), scope, chain.fromBlock);
    ctx.cache.set(key, index);
  }
  return index;
}
