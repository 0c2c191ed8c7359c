/**
 * X-Wing (ML-KEM-768 + X25519) from @noble/post-quantum, loaded on first use: importing it
 * costs ~0.1 s of start-up, and only post-quantum identities and stanzas need it. The
 * callers are synchronous (identity derivation at unlock), so this uses require(), which
 * loads ES modules synchronously on Node ≥ 20.19 (package.json engines); Node caches it.
 */
import { createRequire } from 'node:module';
import type { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';

export type XWing = typeof ml_kem768_x25519;

export function xwing(): XWing {
  const m = createRequire(import.meta.url)('@noble/post-quantum/hybrid.js') as { ml_kem768_x25519: XWing };
  return m.ml_kem768_x25519;
}
