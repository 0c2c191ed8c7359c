/**
 * The record-type vocabulary (docs/CONTRACT.md § Record types).
 *
 * On chain a type is its index (0..31) and grants carry a 32-bit mask of indexes, so the
 * access check is one AND. The list is append-only: an index, once published, keeps its
 * meaning forever, because grants already on chain refer to it.
 */
import { createHmac, randomInt } from 'node:crypto';
import type { EventTypeNames } from './audit-kinds.js';

export const RECORD_TYPES = Object.freeze([
  'note', //          0  clinical note, consultation
  'lab', //           1  laboratory result
  'imaging', //       2  radiology, imaging report
  'prescription', //  3
  'discharge', //     4  discharge letter
  'allergy', //       5
  'immunization', //  6
  'vitals', //        7
  'referral', //      8
  'procedure', //     9
  'mental-health', // 10
  'genetic', //       11
  'other', //         12
] as const);

export type RecordType = (typeof RECORD_TYPES)[number];

export const ALL_TYPES_MASK = (1 << RECORD_TYPES.length) - 1;

export function isRecordType(s: string): s is RecordType {
  return (RECORD_TYPES as readonly string[]).includes(s);
}

/** Index of a type name, or undefined when unknown. */
export function typeIndex(name: string): number | undefined {
  const i = (RECORD_TYPES as readonly string[]).indexOf(name);
  return i < 0 ? undefined : i;
}

export function typeName(index: number): string {
  return RECORD_TYPES[index] ?? `type-${index}`;
}

/** Mask with a bit per named type. Throws on an unknown name (callers map to USAGE). */
export function typesToMask(names: readonly string[]): number {
  let mask = 0;
  for (const n of names) {
    const i = typeIndex(n);
    if (i === undefined) throw new RangeError(`unknown record type '${n}'`);
    mask |= 1 << i;
  }
  return mask >>> 0;
}

export function maskToTypes(mask: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < 32; i++) if ((mask >>> i) & 1) out.push(typeName(i));
  return out;
}

// ─────────────── per-patient type slots (docs/CONTRACT.md § Privacy, issue 25) ───────────────

/** Slots on chain: the contract's masks are 32 bits. */
export const SLOT_COUNT = 32;
/** Every non-empty read or emergency mask is padded with spare slots up to this weight. */
export const PADDED_WEIGHT = 16;

/**
 * Names ↔ slots for one patient. On chain a type is a slot 0..31 whose meaning is the
 * patient's secret (CONTRACT.md § Privacy); only a holder of the patient's type key can map
 * a slot to a name. Membership tests (a record's slot in a mask) need no key.
 */
export interface TypeSlots {
  /** Whether this map was made from the patient's key (false: names are unknown). */
  readonly known: boolean;
  /** The slot of a type name; throws a RangeError on an unknown name or without the key. */
  slotOf(name: string): number;
  /** The type name of a slot, or undefined (a spare slot, or no key). */
  nameOf(slot: number): string | undefined;
  /** The name to show: the type, or `unknown-slot-<k>`. */
  display(slot: number): string;
  /** Mask of the named types' slots (unpadded). */
  toMask(names: readonly string[]): number;
  /** The names of a mask's type slots; spare slots (padding) are dropped; unknown shown as such. */
  fromMask(mask: number): string[];
  /** `mask` plus random spare slots up to PADDED_WEIGHT bits (0 stays 0). */
  pad(mask: number): number;
}

export const unknownSlot = (slot: number) => `unknown-slot-${slot}`;

function slotsFromOrder(order: readonly number[] | null): TypeSlots {
  const nameBySlot = new Map<number, string>();
  if (order) RECORD_TYPES.forEach((t, i) => nameBySlot.set(order[i]!, t));
  const spares = order ? order.slice(RECORD_TYPES.length) : [];
  const slotOf = (name: string): number => {
    const i = typeIndex(name);
    if (i === undefined) throw new RangeError(`unknown record type '${name}'`);
    if (!order) throw new RangeError(`no type key for this patient: cannot name type '${name}'`);
    return order[i]!;
  };
  return {
    known: order !== null,
    slotOf,
    nameOf: (slot) => nameBySlot.get(slot),
    display: (slot) => nameBySlot.get(slot) ?? unknownSlot(slot),
    toMask(names) {
      let mask = 0;
      for (const n of names) mask |= 1 << slotOf(n);
      return mask >>> 0;
    },
    fromMask(mask) {
      const out: string[] = [];
      for (let s = 0; s < SLOT_COUNT; s++) {
        if (!((mask >>> s) & 1)) continue;
        const n = nameBySlot.get(s);
        if (n) out.push(n);
        else if (!order) out.push(unknownSlot(s));
      }
      // Listed in vocabulary order, as before slots (stable for people and tests).
      return order ? out.sort((a, b) => typeIndex(a)! - typeIndex(b)!) : out;
    },
    pad(mask) {
      if (!order || mask === 0) return mask >>> 0;
      const free = spares.filter((s) => !((mask >>> s) & 1));
      let m = mask >>> 0;
      let weight = 0;
      for (let s = 0; s < SLOT_COUNT; s++) weight += (m >>> s) & 1;
      while (weight < PADDED_WEIGHT && free.length) {
        const [s] = free.splice(randomInt(free.length), 1);
        m = (m | (1 << s!)) >>> 0;
        weight++;
      }
      return m;
    },
  };
}

/**
 * The slot order of a patient's type key (CONTRACT.md § Privacy): slot i ranked by
 * HMAC-SHA256(key, "emr/slot" ‖ byte(i)), ties by i; type t is the t-th slot of that order.
 */
export function typeSlots(key: Uint8Array): TypeSlots {
  if (key.length !== 32) throw new RangeError('a type key is 32 bytes');
  const ranked = Array.from({ length: SLOT_COUNT }, (_, i) => ({
    i,
    h: createHmac('sha256', key)
      .update(Buffer.concat([Buffer.from('emr/slot'), Buffer.from([i])]))
      .digest('hex'),
  }));
  ranked.sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.i - b.i));
  return slotsFromOrder(ranked.map((r) => r.i));
}

/** A reader without the patient's key: slots are shown as unknown, names cannot be sent. */
export const UNKEYED: TypeSlots = slotsFromOrder(null);

/** The slot fields of an event (CONTRACT.md § Privacy) as type names, with `slots`. */
export function namesOfFields(fields: Readonly<Record<string, unknown>>, slots: TypeSlots): EventTypeNames {
  const out: EventTypeNames = {};
  if (fields.recordType !== undefined) out.recordType = slots.display(Number(fields.recordType));
  for (const k of ['readMask', 'writeMask', 'mask'] as const) if (fields[k] !== undefined) out[k] = slots.fromMask(Number(fields[k]));
  return out;
}

/** The names a reader set on the event, else its slots as unknown. */
export function eventTypeNames(e: { fields: Readonly<Record<string, unknown>>; typeNames?: EventTypeNames }): EventTypeNames {
  return e.typeNames ?? namesOfFields(e.fields, UNKEYED);
}
