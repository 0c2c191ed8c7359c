/**
 * Public surface of the IPFS ground floor (docs/STORAGE.md). Importing this is cheap:
 * the backends and their dependencies load only when `openStore` runs.
 */

export { cidFromDigest, codecOfCid, digestOfCid, isRecordCodec, type ParsedRecordCid, parseRecordCid } from './cid.js';
export type { EmbeddedStore } from './embedded.js';
export { CHUNK_SIZE, CODEC_DAG_PB, CODEC_RAW, KUBO_ADD_FLAGS, MAX_CHILDREN_PER_NODE, type RecordCodec } from './settings.js';
export { type AddResult, type AddSource, type OpenStoreOptions, openStore, type RecordStore, type StoreCallOptions } from './store.js';
