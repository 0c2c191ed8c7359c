/**
 * Whose type key a flow holds (docs/CONTRACT.md § Privacy): the acting patient derives their
 * own; a grantee finds the patient's in the key deliveries addressed to it (newest first);
 * anyone else sees slots as unknown. Found keys are kept for the run, per chain client.
 */
import { partsToCid } from '../chain/cid.js';
import { canWrite, keyDeliveries } from '../chain/grants.js';
import { orgGrantee, orgKeyDeliveries } from '../chain/org-state.js';
import { CODEC_RAW, type EmrChain } from '../chain/types.js';
import { AccessDeniedError, NotFoundError, UnavailableError } from '../errors.js';
import type { RecordStore } from '../ipfs/store.js';
import { deriveTypeKey } from '../keys/derive.js';
import { SLOT_COUNT, type TypeSlots, typeIndex, typeSlots, UNKEYED } from '../record-types.js';
import type { Only } from '../session/index.js';
import type { Unlocked } from '../session/unlock.js';
import { openKeyDeliveryObject } from './key-delivery.js';
import { assertCanWrite } from './recipients.js';

/**
 * The chain, and the acting identity and store when the run has them (a grantee finds keys
 * with both); `openStore` opens the store when a delivered key is needed and `store` is
 * absent: a listing that needs no store otherwise still names a grantee's types
 * (CONTRACT.md § Privacy).
 */
type SlotSession = Only<'chain'> & Partial<Only<'me' | 'store'>> & { openStore?: (() => Promise<RecordStore>) | undefined };

/** Deliveries opened per (patient, grantee) before giving up: bounds hostile histories. */
const MAX_DELIVERIES = 32;
const found = new WeakMap<EmrChain, Map<string, TypeSlots>>();
/** Per patient: how many of the reader's key deliveries were not in its store (writableSlot says so). */
const notInStore = new WeakMap<EmrChain, Map<string, number>>();

/** The acting patient's own type key. */
export function ownTypeKey(me: Unlocked): Uint8Array {
  return deriveTypeKey(me.privateKey);
}

export async function slotsFor(s: SlotSession, patient: string): Promise<TypeSlots> {
  const p = patient.toLowerCase();
  let cache = found.get(s.chain);
  if (!cache) found.set(s.chain, (cache = new Map()));
  const hit = cache.get(p);
  if (hit) return hit;
  let slots: TypeSlots = UNKEYED;
  if (s.me && s.me.profile.address.toLowerCase() === p) {
    const key = ownTypeKey(s.me);
    slots = typeSlots(key);
    key.fill(0);
  } else if (s.me && (s.store || s.openStore)) {
    const store = s.store ?? (await s.openStore!());
    const { key, missing } = await deliveredTypeKey({ chain: s.chain, me: s.me, store }, patient);
    if (!notInStore.has(s.chain)) notInStore.set(s.chain, new Map());
    notInStore.get(s.chain)!.set(p, missing);
    if (key) {
      slots = typeSlots(key);
      key.fill(0);
    }
  }
  if (slots.known) cache.set(p, slots);
  return slots;
}

async function deliveredTypeKey(s: Only<'chain' | 'me' | 'store'>, patient: string): Promise<{ key?: Uint8Array; missing: number }> {
  const me = s.me.profile.address;
  let missing = 0;
  const grants = (await keyDeliveries(s.chain, patient, me)).filter((d) => d.kind === 'grant');
  for (const d of grants.reverse().slice(0, MAX_DELIVERIES)) {
    try {
      const cid = partsToCid({ cidCodec: CODEC_RAW, digest: d.keyDelivery });
      const { keys, typeKey } = await openKeyDeliveryObject(s.store, cid, s.me.age.identity, { patient, grantee: me });
      for (const k of keys) k.fileKey.fill(0);
      if (typeKey) return { key: typeKey, missing };
    } catch (e) {
      // A store that does not answer is an outage (exit 6), not a missing key.
      if (e instanceof UnavailableError) throw e;
      if (e instanceof NotFoundError) missing++;
      // unreadable, missing or not ours: try the next one
    }
  }
  // SHARING.md § 9.2: a member finds the key in its orgs' deliveries.
  for (const d of (await orgKeyDeliveries(s.chain, patient, me)).slice(0, MAX_DELIVERIES)) {
    try {
      const cid = partsToCid({ cidCodec: CODEC_RAW, digest: d.keyDelivery });
      const { keys, typeKey } = await openKeyDeliveryObject(s.store, cid, s.me.age.identity, { patient, grantee: orgGrantee(d.org) });
      for (const k of keys) k.fileKey.fill(0);
      if (typeKey) return { key: typeKey, missing };
    } catch (e) {
      if (e instanceof UnavailableError) throw e;
      if (e instanceof NotFoundError) missing++;
    }
  }
  return { missing };
}

/**
 * The slot an author writes `name` under for `patient`. Without the patient's key: an author
 * who may write no slot at all is told why by the write check, with the message it always
 * gave (not registered, not verified, no write grant); one who holds a write grant whose key
 * delivery is not in its store is told to reach that store (exit 7), since the grant exists.
 */
export async function writableSlot(s: SlotSession, patient: string, name: string): Promise<number> {
  const slots = await slotsFor(s, patient);
  if (slots.known) return slots.slotOf(name);
  const author = s.me?.profile.address ?? ZERO_ADDRESS;
  const check = { author, patient, typeName: name };
  const writable = await Promise.all(
    Array.from({ length: SLOT_COUNT }, (_, slot) => canWrite(s.chain, { author, patient, recordType: slot })),
  );
  if (!writable.includes(true)) await assertCanWrite(s.chain, { ...check, recordType: 0 });
  if ((notInStore.get(s.chain)?.get(patient.toLowerCase()) ?? 0) > 0) {
    throw new NotFoundError(`cannot add ${name} records for ${patient}: the key delivery of your grant is not in this store`, {
      hint: "it carries the patient's type key (docs/CONTRACT.md § Privacy): reach the store the patient granted from with --ipfs-gateway <url> or --ipfs-api <url>, or ask the patient to grant again",
    });
  }
  throw new AccessDeniedError(`not allowed to add ${name} records for ${patient}: you hold no type key from this patient`, {
    hint: `the patient grants it with \`emr grant <you> --write --types ${name}\` (the grant delivers the key)`,
  });
}

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** The type maps of several patients at once: `of(patient)` answers synchronously after. */
export async function slotsOfPatients(s: SlotSession, patients: Iterable<string>): Promise<(patient: string) => TypeSlots> {
  const out = new Map<string, TypeSlots>();
  for (const p of new Set([...patients].map((x) => x.toLowerCase()))) out.set(p, await slotsFor(s, p));
  return (patient) => out.get(patient.toLowerCase()) ?? UNKEYED;
}

/** The vocabulary index of a record's slot for this patient, or undefined (no key, spare slot). */
export function vocabularyIndex(slots: TypeSlots, slot: number): number | undefined {
  const name = slots.nameOf(slot);
  return name === undefined ? undefined : typeIndex(name);
}
