/**
 * `emr key export <profile> --format keystore-v3|age-identity|mnemonic [-o file]`
 * (docs/CLI.md § Identity). The keystore is copied as it is (no unlock); the age identity and
 * the mnemonic are secrets: written only to the file named (mode 0600, atomic, never over an
 * existing file without --force) or, without -o, to stdout for a pipe — never into --json.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { refuseOverwrite } from '../output-file.js';
import { defineCommand } from '../spec.js';

const FORMATS = ['keystore-v3', 'age-identity', 'mnemonic'] as const;

export const keyExport = defineCommand({
  name: 'export',
  summary: 'export an identity as a v3 keystore (geth, cast, ethers), an age identity file, or its recovery phrase',
  args: ['[profile]'],
  options: [
    { flags: '--format <format>', description: FORMATS.join(' | '), choices: FORMATS, default: 'keystore-v3' },
    { flags: '-o, --output <file>', description: 'write to this file (mode 0600); default: stdout' },
    { flags: '--force', description: 'overwrite the output file if it exists' },
  ],
  examples: ['emr key export alice --format age-identity -o alice.key && age -d -i alice.key record.age', 'cast wallet address --keystore "$(emr key export alice -o alice.json --json | jq -r .data.path)"'],
  async run(ctx, [profileArg]: [string | undefined], opts: { format: (typeof FORMATS)[number]; output?: string; force?: boolean }) {
    const name = ctx.profileName(profileArg);
    const profile = ctx.profiles.get(name);
    const toStdout = !opts.output || opts.output === '-';
    if (toStdout && ctx.json) {
      // stdout carries exactly one JSON document in --json mode, and secrets never go in it.
      throw new UsageError('--json needs -o <file> for the exported key', { hint: 'pass -o <file>; the JSON document then names the file' });
    }
    if (!toStdout) refuseOverwrite(opts.output!, opts.force);
    let text: string;
    if (opts.format === 'keystore-v3') {
      text = readFileSync(ctx.profiles.keystorePath(name), 'utf8');
    } else if (opts.format === 'age-identity') {
      const { unlock } = await import('../../session/unlock.js');
      const me = await unlock(ctx, name);
      // The layout age-keygen writes, so `age -d -i <file>` reads it.
      text = `# created: ${ctx.clock.now().toISOString().replace(/\.\d+Z$/, 'Z')}\n# emr profile: ${name} (${profile.address})\n# public key: ${me.age.recipient}\n${me.age.identity}\n`;
    } else {
      // The recovery phrase needs the keystore's mnemonic, not the unlocked account: open
      // it once here (a separate unlock first asked for the passphrase twice).
      const { openKeystore } = await import('../../session/unlock.js');
      const secret = await openKeystore(ctx, name);
      ctx.holdSecret(secret.privateKey);
      if (!secret.mnemonic) {
        throw new UsageError(`profile '${name}' has no recovery phrase`, { hint: 'it was imported from a keystore without one; export --format keystore-v3 instead' });
      }
      ctx.holdSecret(secret.mnemonic.entropy);
      const { Mnemonic } = await import('ethers');
      text = Mnemonic.fromEntropy(secret.mnemonic.entropy).phrase + '\n';
    }
    if (toStdout) {
      ctx.io.stdout.write(text);
      return { data: { profile: name, format: opts.format, path: '-' }, view: {} };
    }
    writeFileAtomic(opts.output!, text, { mode: 0o600, overwrite: !!opts.force });
    return {
      data: { profile: name, format: opts.format, path: opts.output },
      view: { fields: [['exported', `${name} as ${opts.format}`], ['file', opts.output]] },
    };
  },
});
