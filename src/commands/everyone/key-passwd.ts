/**
 * `emr key passwd [profile] [--new-password-file <file>]` (docs/CLI.md § Identity): a new
 * passphrase for a keystore (identity/key-passwd.ts). The old one comes as for any unlock.
 */
import { defineCommand } from '../spec.js';

export const keyPasswd = defineCommand({
  name: 'passwd',
  summary: 'change the passphrase of a profile’s keystore',
  args: ['[profile]'],
  options: [
    {
      flags: '--new-password-file <file>',
      description: 'the new passphrase (first line) without a prompt; the old one comes from --password-file or the prompt',
    },
    { flags: '--weak-passphrase-ok', description: 'accept a guessable new passphrase (still 8+ characters)' },
  ],
  examples: ['emr key passwd alice', 'emr --password-file old.pw key passwd alice --new-password-file new.pw'],
  async run(ctx, [profile]: [string | undefined], opts: { newPasswordFile?: string; weakPassphraseOk?: boolean }) {
    const [{ openLocalSession }, { changePassphrase }] = await Promise.all([
      import('../../session/local.js'),
      import('../../identity/key-passwd.js'),
    ]);
    const s = await openLocalSession(ctx, { unlock: false });
    const data = await changePassphrase(s, { profile, newPasswordFile: opts.newPasswordFile, weakPassphraseOk: !!opts.weakPassphraseOk });
    return {
      data,
      view: {
        title: `New passphrase set for profile '${data.profile}'`,
        fields: [
          ['address', data.address],
          ['keystore', data.keystore],
        ],
        warnings: ['copies of the old keystore (backups, `key export --format keystore-v3`) still open with the old passphrase'],
      },
    };
  },
});
