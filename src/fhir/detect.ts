/**
 * Is this file a FHIR R4 JSON resource? (docs/FHIR.md § 1). Cheap and dependency-free:
 * only a JSON object with a string `resourceType` counts, so a PDF or a plain JSON file
 * is stored as before and the validator is never loaded for it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** Largest FHIR file `record add` parses (a bound on memory for hostile input). */
export const MAX_FHIR_FILE = 64 * 1024 * 1024;

/**
 * Deepest nesting of objects and arrays accepted in FHIR JSON (docs/FHIR.md § 2). Threat: a
 * ~100 KB file of nested extensions overflowed the validator's and JSON.stringify's stack
 * (exit 1, and one such row stopped a whole batch). Real resources nest a few tens of
 * levels (a QuestionnaireResponse's items the deepest); JSON.parse itself is not recursive.
 */
export const MAX_FHIR_DEPTH = 100;

/** Whether `value` nests objects/arrays deeper than `limit`; iterative, stops at the first too-deep value. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

export type FhirResource = Record<string, unknown> & { resourceType: string; id?: string };

/** The parsed resource when `file` is FHIR JSON, else undefined. */
export function readFhirFile(file: string): FhirResource | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new UsageError(`cannot read ${file}`, { hint: 'check the path', cause: e });
  }
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    // JSON object with a resourceType among its first bytes: anything else is not FHIR JSON.
    // The first byte that is not a BOM or JSON whitespace decides before any decoding:
    // decoding 4 KiB of binary (a scan, a PDF) cost 0.4 ms a row in a batch (issue 26 § 2).
    let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    while (i < n && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
    if (i >= n || head[i] !== 0x7b) return undefined;
    const text = head
      .subarray(0, n)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    if (!/^\s*\{/.test(text) || !text.includes('"resourceType"')) return undefined;
    const size = fstatSync(fd).size;
    if (size > MAX_FHIR_FILE)
      throw new UsageError(`${file} is too large to import as FHIR`, {
        hint: `split the Bundle (at most ${MAX_FHIR_FILE / 1024 / 1024} MiB per file)`,
      });
    const all = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const r = readSync(fd, all, off, size - off, off);
      if (r === 0) break;
      off += r;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(all.subarray(0, off).toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj) || typeof (obj as FhirResource).resourceType !== 'string')
      return undefined;
    return obj as FhirResource;
  } finally {
    closeSync(fd);
  }
}
