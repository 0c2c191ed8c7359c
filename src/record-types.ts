/**
 * The record-type vocabulary (docs/CONTRACT.md § Record types).
 *
 * On chain a type is its index (0..31) and grants carry a 32-bit mask of indexes, so the
 * access check is one AND. The list is append-only: an index, once published, keeps its
 * meaning forever, because grants already on chain refer to it.
 */
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
