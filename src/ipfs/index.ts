/**
 * Public surface of the IPFS ground floor (docs/STORAGE.md). Importing this is cheap:
 * the backends and their dependencies load only when `openStore` runs.
 */
export { openStore, type OpenStoreOptions, type RecordStore, type StoreCallOptions, type AddResult, type AddSource } from './store.js';
export { cidFromDigest, codecOfCid, digestOfCid, isRecordCodec, parseRecordCid, type ParsedRecordCid } from './cid.js';
export { CHUNK_SIZE, CODEC_DAG_PB, CODEC_RAW, KUBO_ADD_FLAGS, MAX_CHILDREN_PER_NODE, type RecordCodec } from './settings.js';
export type { EmbeddedStore } from './embedded.js';
