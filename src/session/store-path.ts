import { join } from 'node:path';

/** Where the scratch directory of a home is (created by scratchDir when a store needs it). */
export const scratchPath = (home: string): string => join(home, 'tmp');
