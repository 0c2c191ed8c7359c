/**
 * A record store that also reads through gateways (docs/STORAGE.md § "Gateways"): writes,
 * pins and `has` go to the configured store (embedded or Kubo) only; `cat` reads from it
 * when it holds the record, and otherwise from the gateways, in order. A Kubo store is
 * asked last again, since it may find the record on the IPFS network itself.
 */
import { NotFoundError } from '../errors.js';
import { type GatewayReaderOptions, openGatewayReader } from './gateway.js';
import type { RecordStore, StoreCallOptions } from './store-types.js';

export function withGateways(primary: RecordStore, opts: GatewayReaderOptions): RecordStore {
  const reader = openGatewayReader(opts);
  return {
    kind: primary.kind,
    add: (s, o) => primary.add(s, o),
    addBytes: (b, o) => primary.addBytes(b, o),
    has: (c, o) => primary.has(c, o),
    pin: (c, o) => primary.pin(c, o),
    unpin: (c, o) => primary.unpin(c, o),
    forget: (c, o) => primary.forget(c, o),
    close: () => primary.close(),
    ...(primary.getBlock ? { getBlock: primary.getBlock.bind(primary) } : {}),
    ...(primary.putBlock ? { putBlock: primary.putBlock.bind(primary) } : {}),
    ...(primary.hasBlock ? { hasBlock: primary.hasBlock.bind(primary) } : {}),
    ...(primary.writing ? { writing: primary.writing.bind(primary) } : {}),
    ...(primary.discardBlocks ? { discardBlocks: primary.discardBlocks.bind(primary) } : {}),
    ...('pins' in primary ? { pins: (primary as { pins: () => Promise<string[]> }).pins.bind(primary) } : {}),
    async *cat(cid: string, o: StoreCallOptions = {}) {
      if (await primary.has(cid, o)) {
        yield* primary.cat(cid, o);
        return;
      }
      try {
        yield* reader.cat(cid, o);
      } catch (e) {
        // Nothing was yielded before a NotFoundError: the root itself was missing.
        if (e instanceof NotFoundError && primary.kind === 'kubo') {
          yield* primary.cat(cid, o);
          return;
        }
        throw e;
      }
    },
  };
}
