/**
 * On-demand collections for the chunk loops, whose 64 KiB buffers live outside the V8 heap
 * and are freed only when V8 collects (parallel.ts, heap.ts).
 *
 * `minorGc` is also shipped to the parallel worker as source text, so it must stay
 * self-contained: no imports, no outer references.
 */
/**
 * A minor (scavenge) collection, or null if V8 will not expose one. Setting the flag at
 * run time only affects contexts created afterwards, hence the fresh vm context.
 */
export function minorGc(): (() => void) | null {
  try {
    process.getBuiltinModule('node:v8').setFlagsFromString('--expose-gc');
    const gc = process.getBuiltinModule('node:vm').runInNewContext('gc') as (o?: object) => void;
    return typeof gc === 'function' ? () => gc({ type: 'minor' }) : null;
  } catch {
    return null;
  }
}
