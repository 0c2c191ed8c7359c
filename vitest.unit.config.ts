import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:unit` (docs/TESTING.md § 6): the in-process tests only: crypto, format,
 * keystore, FHIR, manifest, journal, ABI, store and chain-log decoding. No anvil, no daemon,
 * no spawned `emr`, no bundle build; ≤ 60 s on 2 cores. A new file belongs here when it
 * imports src/ and starts nothing.
 */
export const UNIT = [
  'test/batch/journal.test.ts',
  'test/batch/manifest.test.ts',
  'test/batch/validate.test.ts',
  'test/chain/abi.test.ts',
  'test/chain/logs.test.ts',
  'test/context.test.ts',
  'test/csv-text.test.ts',
  'test/failpoint.test.ts',
  'test/sealed-file.test.ts',
  'test/read-bounded.test.ts',
  'test/setup/setup.test.ts',
  'test/bounded-memo.test.ts',
  'test/in-flight.test.ts',
  'test/crypto/accept-hook.test.ts',
  'test/crypto/address.test.ts',
  'test/crypto/bundle-parallel.test.ts',
  'test/crypto/bundle-v2.test.ts',
  'test/crypto/eip712.test.ts',
  'test/crypto/format-negative.test.ts',
  'test/crypto/io.test.ts',
  'test/crypto/mutation-fuzz.test.ts',
  'test/crypto/typed-data-signer.test.ts',
  'test/fhir/audit-event.test.ts',
  'test/fhir/record-file-name.test.ts',
  'test/ipfs/cid.test.ts',
  'test/ipfs/embedded.test.ts',
  'test/ipfs/gateway-dead.test.ts',
  'test/ipfs/read-limits.test.ts',
  'test/keys/keystore.test.ts',
  'test/keys/profile-order.test.ts',
  'test/helpers/wait.test.ts',
  'test/helpers/strace.test.ts',
  'test/ui/html.test.ts',
];

// Not mergeConfig: it would append to the whole suite's include and globalSetup lists.
export default defineConfig({
  test: {
    ...base.test,
    include: UNIT,
    globalSetup: ['test/setup/temp.ts'],
    // One module graph per worker, not per file (docs/TESTING.md § 6): these files import the
    // same src/ (ethers, noble, the age code) and start nothing, so re-importing it for each
    // file was a third of the tier's CPU (measured under load: 79.8 → 53.8 CPU-s, import
    // 67 → 16 s summed, 249 tests passing either way). It holds because no file here sets
    // process.env or leaves a mock in place (io.test restores its spy).
    isolate: false,
  },
});
