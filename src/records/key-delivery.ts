/**
 * Key-delivery objects (docs/SHARING.md § 2): how a grantee gets the file keys of records
 * that existed before the grant, without re-encrypting them and without any key material on
 * chain. The object is a small age file, encrypted to the grantee only, stored on IPFS; the
 * grant transaction carries its digest. Its plaintext:
 *
 *   {"v":1,"kind":"emr-key-delivery","patient":"0x…","grantee":"0x…",
 *    "keys":[{"id":"12","cid":"bafy…","fileKey":"<base64, 16 bytes>"}],
 *    "typeKey":"<base64, 32 bytes>"}
 *
 * `typeKey` (the patient's, docs/CONTRACT.md § Privacy) is in every delivery of a grant
 * that names types, so its grantee maps that patient's type names ↔ chain slots.
 *
 * Record keys are only delivered for the CID they belong to; a re-keyed record needs a new
 * delivery (its old key opens only the old ciphertext).
 */

import { PassThrough, Readable } from 'node:stream';
import { CODEC_RAW } from '../chain/types.js';
import { decryptFile, encryptFile } from '../crypto/age-file.js';
import { IntegrityError } from '../errors.js';
import type { RecordStore } from '../ipfs/store.js';

export interface DeliveredKey {
  id: string;
  cid: string;
  fileKey: Uint8Array;
}

export interface KeyDeliveryObject {
  patient: string;
  grantee: string;
  keys: DeliveredKey[];
  /** The patient's type key (CONTRACT.md § Privacy), for grants that name types. */
  typeKey?: Uint8Array;
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** Encrypts the object to the grantee, stores it, and returns the digest for the grant tx. */
export async function publishKeyDelivery(
  store: RecordStore,
  obj: KeyDeliveryObject,
  /** The grantee's recipient; for an org grant, its members' (SHARING.md § 9.2). */
  granteeRecipient: string | readonly string[],
): Promise<{ cid: string; digest: string }> {
  const json = Buffer.from(
    JSON.stringify({
      v: 1,
      kind: 'emr-key-delivery',
      patient: obj.patient,
      grantee: obj.grantee,
      keys: obj.keys.map((k) => ({ id: k.id, cid: k.cid, fileKey: Buffer.from(k.fileKey).toString('base64') })),
      ...(obj.typeKey ? { typeKey: Buffer.from(obj.typeKey).toString('base64') } : {}),
    }),
  );
  const sink = new PassThrough();
  const done = collect(sink);
  await encryptFile({
    recipients: typeof granteeRecipient === 'string' ? [granteeRecipient] : [...granteeRecipient],
    input: Readable.from([json]),
    output: sink,
  });
  sink.end();
  const ct = await done;
  json.fill(0);
  const added = await store.addBytes(ct);
  // A delivery must be one raw block so (codec, digest) on chain names it exactly.
  if (added.codec !== CODEC_RAW) {
    throw new IntegrityError('key delivery too large for one block', { hint: 'grant fewer records at once (--records), or by type' });
  }
  // STORAGE.md § Durability: the grant's transaction will name this block.
  await store.sync?.();
  return { cid: added.cid, digest: '0x' + Buffer.from(added.digest).toString('hex') };
}

/** Fetches and opens a delivery addressed to `identity`; checks it names this patient and grantee. */
export async function openKeyDelivery(
  store: RecordStore,
  cid: string,
  identity: string,
  expect: { patient: string; grantee: string },
): Promise<DeliveredKey[]> {
  return (await openKeyDeliveryObject(store, cid, identity, expect)).keys;
}

/** openKeyDelivery with the patient's type key when the delivery carries one (32 bytes). */
export async function openKeyDeliveryObject(
  store: RecordStore,
  cid: string,
  identity: string,
  expect: { patient: string; grantee: string },
): Promise<{ keys: DeliveredKey[]; typeKey: Uint8Array | undefined }> {
  const sink = new PassThrough();
  const done = collect(sink);
  await decryptFile({ identities: [identity], input: store.cat(cid), output: sink });
  sink.end();
  const plain = await done;
  let obj: {
    v?: number;
    kind?: string;
    patient?: string;
    grantee?: string;
    keys?: Array<{ id: string; cid: string; fileKey: string }>;
    typeKey?: unknown;
  };
  try {
    obj = JSON.parse(plain.toString('utf8'));
  } catch (e) {
    throw new IntegrityError('malformed key delivery', { hint: 'the patient must grant again', cause: e });
  } finally {
    plain.fill(0);
  }
  if (obj.v !== 1 || obj.kind !== 'emr-key-delivery' || !Array.isArray(obj.keys)) {
    throw new IntegrityError('malformed key delivery', { hint: 'the patient must grant again' });
  }
  if (obj.patient?.toLowerCase() !== expect.patient.toLowerCase() || obj.grantee?.toLowerCase() !== expect.grantee.toLowerCase()) {
    throw new IntegrityError('key delivery names another patient or grantee', { hint: 'the patient must grant again' });
  }
  const typeKey = typeof obj.typeKey === 'string' ? new Uint8Array(Buffer.from(obj.typeKey, 'base64')) : undefined;
  return {
    keys: obj.keys.map((k) => ({ id: String(k.id), cid: String(k.cid), fileKey: new Uint8Array(Buffer.from(k.fileKey, 'base64')) })),
    // A key of another length is no key (a hostile delivery must not crash the reader).
    typeKey: typeKey?.length === 32 ? typeKey : undefined,
  };
}
