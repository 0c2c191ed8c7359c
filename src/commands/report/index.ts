/** `emr report …` (docs/CLI.md § Sharing, `emr report disclosures`): compliance reports. Assembly only. */
import { defineGroup } from '../spec.js';
import { reportDisclosures } from './disclosures.js';

export const reportGroup = defineGroup('report', 'compliance reports: an accounting of disclosures', [reportDisclosures]);
