/**
 * `emr doctor` (docs/CLI.md § Everyday use): checks this setup one line at a time, with a
 * fix for each failure. `data.checks[]`: {name, ok, detail, hint}; exit 0 only when every
 * check passes, else 6 (UNAVAILABLE) with the same data.
 */
import { UnavailableError } from '../../errors.js';
import { defineCommand } from '../spec.js';

export const doctor = defineCommand({
  name: 'doctor',
  summary: 'check this setup: Node, age, permissions, chain and contract, IPFS, your registration, the clock',
  examples: ['emr doctor', 'emr --profile dr-grey --rpc-url https://rpc.example.org --contract 0xAbc… doctor --json'],
  async run(ctx) {
    const [{ openChainSession }, { runDoctor }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../ops/doctor.js'),
    ]);
    const checks = await runDoctor(await openChainSession(ctx, {}));
    const failed = checks.filter((c) => !c.ok);
    return {
      data: { checks },
      view: {
        lines: checks.flatMap((c) => [
          `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(9)} ${c.detail}`,
          ...(c.ok ? [] : [`      ${' '.repeat(9)} fix: ${c.hint}`]),
        ]),
      },
      failure: failed.length
        ? new UnavailableError(`${failed.length} of ${checks.length} checks failed: ${failed.map((c) => c.name).join(', ')}`, {
            hint: 'each failed check says how to fix it (fix: …)',
          })
        : undefined,
    };
  },
});
