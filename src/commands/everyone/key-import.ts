/**
 * `emr key import <file> --name <profile>` (docs/CLI.md § Identity): a v3 keystore from geth,
 * cast or ethers, or with `--mnemonic` a file holding a BIP-39 phrase (`-` reads stdin)
 * (identity/key-import.ts).
 */
import { UsageError } from '../../errors.js';
import { checkProfileName, ROLES, type Role } from '../../keys/profile-name.js';
import { defineCommand } from '../spec.js';

export const keyImport = defineCommand({
  name: 'import',
  summary: 'import a v3 keystore (geth, cast, ethers) or a recovery phrase as a new profile',
  args: ['<file>'],
  options: [
    { flags: '--name <profile>', description: 'local name for the imported identity' },
    { flags: '--mnemonic', description: 'the file holds a BIP-39 recovery phrase, not a keystore' },
    { flags: '--role <role>', description: 'patient, provider or admin', choices: ROLES, default: 'patient' },
    { flags: '--pq', description: 'derive the post-quantum hybrid encryption key' },
    { flags: '--force', description: 'replace an existing profile of that name' },
    { flags: '--weak-passphrase-ok', description: 'with --mnemonic: accept a new passphrase that is easy to guess (still 8+ characters)' },
  ],
  async run(
    ctx,
    [file]: [string],
    opts: { name?: string; mnemonic?: boolean; role: Role; pq?: boolean; force?: boolean; weakPassphraseOk?: boolean },
  ) {
    if (!opts.name) throw new UsageError('missing --name <profile>', { hint: 'e.g. emr key import wallet.json --name alice' });
    const input = {
      file,
      name: checkProfileName(opts.name),
      mnemonic: !!opts.mnemonic,
      role: opts.role,
      pq: !!opts.pq,
      force: !!opts.force,
      weakPassphraseOk: !!opts.weakPassphraseOk,
    };
    const [{ openChainSession }, { importIdentity }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../identity/key-import.js'),
    ]);
    const data = await importIdentity(await openChainSession(ctx, {}), input);
    return {
      data,
      view: {
        title: `Imported identity '${data.profile}'`,
        fields: [
          ['address', data.address],
          ['recipient', data.recipient],
          ['role', data.role],
        ],
      },
    };
  },
});
