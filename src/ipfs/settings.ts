/**
 * The fixed UnixFS import settings (docs/STORAGE.md § "Import settings").
 *
 * One ciphertext must get one CID on every backend, because the chain stores only the
 * root's sha2-256 digest and a codec byte (STORAGE.md § "CIDs on chain"). Every backend
 * therefore builds the DAG with these values and nothing else. They equal
 * `ipfs add --cid-version=1 --raw-leaves --chunker=size-1048576` on Kubo with its
 * default `Import.UnixFSFileMaxLinks` (174) and the balanced layout.
 */

/** STORAGE.md: 1 MiB leaves: Kubo's largest accepted chunk; few blocks per record. */
export const CHUNK_SIZE = 1_048_576;

/** STORAGE.md: links per dag-pb node, Kubo's and js-ipfs's balanced-layout default. */
export const MAX_CHILDREN_PER_NODE = 174;

/** STORAGE.md: CIDv1 everywhere (base32 `bafy…` / `bafk…` strings). */
export const CID_VERSION = 1 as const;

/** Multicodec codes a record root may carry (STORAGE.md § "CIDs on chain"). */
export const CODEC_RAW = 0x55;
export const CODEC_DAG_PB = 0x70;
export type RecordCodec = typeof CODEC_RAW | typeof CODEC_DAG_PB;

/** Multihash code of sha2-256, the only hash accepted. */
export const SHA2_256 = 0x12;

/**
 * STORAGE.md § "Limits": the largest block any backend may hand us. A raw leaf is at most
 * CHUNK_SIZE; a dag-pb node with MAX_CHILDREN_PER_NODE links is ~9 KiB. Anything bigger is
 * refused while it streams in (a hostile node could otherwise answer one block request
 * with gigabytes, all buffered).
 */
export const MAX_BLOCK_SIZE = CHUNK_SIZE + 64 * 1024;

/**
 * STORAGE.md § "Limits": the largest record file a read accepts (the root's declared
 * size), checked before any child block is fetched. 64 GiB covers whole imaging studies.
 */
export const MAX_FILE_SIZE = 64n * 1024n ** 3n;

/**
 * STORAGE.md § "Limits": most levels of dag-pb nodes above the leaves a read walks. With
 * 1 MiB leaves and 174 links, 1 level holds 174 MiB, 2 hold 29.6 GiB, 3 hold 5 TiB: our
 * own imports of MAX_FILE_SIZE need 3.
 */
export const MAX_DAG_DEPTH = 3;

/** How many blocks the reader fetches ahead while streaming (bounded memory). */
export const READ_AHEAD_BLOCKS = 4;

/** The `ipfs add` flags that reproduce these settings, for docs and tests. */
export const KUBO_ADD_FLAGS = {
  cidVersion: CID_VERSION,
  rawLeaves: true,
  chunker: `size-${CHUNK_SIZE}`,
  trickle: false,
} as const;
