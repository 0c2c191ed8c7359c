/** Assertions against the chain and the store: what a batch really left behind. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRecords } from '../../src/chain/records.js';
import { decryptBundle } from '../../src/crypto/bundle.js';
import { openStore } from '../../src/ipfs/store.js';
import type { BatchWorld } from '../helpers/world.js';

export interface OnChain {
  id: string;
  patient: string;
  type: string;
  cid: string;
}

/** Every record `dr` added for these patients. */
export async function recordsOf(w: BatchWorld, patients: string[]): Promise<OnChain[]> {
  const chain = await w.chain();
  try {
    const out: OnChain[] = [];
    for (const p of patients) {
      for (const r of await listRecords(chain, { patient: p, author: w.dr }))
        out.push({ id: r.id.toString(), patient: r.patient, type: w.slotsOf(p).display(r.recordType), cid: r.cid });
    }
    return out;
  } finally {
    chain.provider.destroy();
  }
}

/** Decrypts each record with its patient's identity; returns the plaintext sha256 and title per CID. */
export async function decryptAll(
  home: string,
  recs: Array<{ cid: string; identity: string }>,
): Promise<Map<string, { sha256: string; title?: string; patient: string }>> {
  const store = await openStore({ home });
  const dir = mkdtempSync(join(tmpdir(), 'emr-batch-dec-'));
  const out = new Map<string, { sha256: string; title?: string; patient: string }>();
  try {
    for (const r of recs) {
      const chunks: Uint8Array[] = [];
      for await (const c of store.cat(r.cid)) chunks.push(c);
      const f = join(dir, 'x.age');
      writeFileSync(f, Buffer.concat(chunks));
      const res = await decryptBundle({ input: f, output: null, identities: [r.identity] });
      if (!res.signed) throw new Error('unsigned bundle');
      out.set(r.cid, { sha256: res.sha256, title: res.metadata.title, patient: res.metadata.patient });
    }
  } finally {
    await store.close();
  }
  return out;
}

export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
