/**
 * Arms test-only failpoints (docs/TESTING.md § Failpoints) for one `emr` run: the env to
 * pass to `emr()`. Names are checked by tsc against src/failpoint.ts FAILPOINTS.
 */
import type { Failpoint } from '../../src/failpoint.js';

/** `name` (the first visit) or `name:n` (the n-th visit). */
export type FailpointSpec = Failpoint | `${Failpoint}:${number}`;

export function failpoints(...specs: FailpointSpec[]): Record<string, string> {
  return { EMR_TEST: '1', EMR_FAILPOINTS: specs.join(',') };
}
