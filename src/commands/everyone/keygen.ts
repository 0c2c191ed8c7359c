/** `emr keygen --name <profile> [--role …] [--pq]` (docs/CLI.md § Identity; identity/keygen.ts). */
import { UsageError } from '../../errors.js';
import { checkProfileName, ROLES, type Role } from '../../keys/profile-name.js';
import { defineCommand } from '../spec.js';

export type { KeygenData } from '../../identity/keygen.js';

export const keygen = defineCommand({
  name: 'keygen',
  summary: 'create an identity: an Ethereum account that signs and an age key others encrypt to',
  options: [
    { flags: '--name <profile>', description: 'local name of the new identity' },
    { flags: '--role <role>', description: 'patient, provider or admin', choices: ROLES, default: 'patient' },
    { flags: '--pq', description: 'post-quantum hybrid encryption key (ML-KEM-768 + X25519, age1pq1…)' },
    { flags: '--force', description: 'replace an existing profile of that name (its old key is lost unless backed up)' },
    { flags: '--show-mnemonic', description: 'include the recovery phrase in --json output (it is shown on a terminal anyway)' },
    {
      flags: '--weak-passphrase-ok',
      description: 'accept a passphrase that is easy to guess (still 8+ characters); for tests and throw-away keys',
    },
    { flags: '--words <n>', description: 'recovery phrase length: 12 or 24 words', choices: ['12', '24'], default: '24' },
  ],
  examples: ['emr keygen --name alice --role patient', 'emr keygen --name dr-bob --role provider --password-file pw.txt --json'],
  async run(
    ctx,
    _args,
    opts: { name?: string; role: Role; pq?: boolean; force?: boolean; showMnemonic?: boolean; words: string; weakPassphraseOk?: boolean },
  ) {
    if (!opts.name) throw new UsageError('missing --name <profile>', { hint: 'e.g. emr keygen --name alice' });
    const input = {
      name: checkProfileName(opts.name),
      role: opts.role,
      pq: !!opts.pq,
      force: !!opts.force,
      words: opts.words === '12' ? (12 as const) : (24 as const),
      weakPassphraseOk: !!opts.weakPassphraseOk,
    };
    const [{ openChainSession }, { createIdentity }] = await Promise.all([
      import('../../session/chain-session.js'),
      import('../../identity/keygen.js'),
    ]);
    const { data, phrase } = await createIdentity(await openChainSession(ctx, {}), input);
    const { profile: name, role } = data;
    return {
      data: opts.showMnemonic ? { ...data, mnemonic: phrase } : data,
      view: {
        title: `Created identity '${name}'`,
        fields: [
          ['role', role],
          ['address', data.address],
          ['recipient', data.recipient],
          ['keystore', data.keystore],
        ],
        // Admins are made by the contract (the deployer, or `emr admin add`), not by
        // registering; patients and providers publish themselves.
        lines: [
          role === 'admin'
            ? `Next: deploy the contract as this admin (\`emr --profile ${name} devnet up\`, or \`admin deploy\` on another chain), or ask an admin to run \`emr admin add ${data.address}\`.`
            : `Next: publish it on chain with \`emr --profile ${name} register\`${role === 'provider' ? ', then ask an admin to verify you' : ''}.`,
        ],
        secret: {
          label: 'Recovery phrase (write it down; it is shown only now):',
          value: phrase,
          note: 'It restores both the signing account and the encryption key. Anyone who has it can read your records.',
        },
        warnings:
          ctx.io.stderr.isTTY || opts.showMnemonic
            ? []
            : ['no terminal: the recovery phrase was not shown; back up the keystore file, or re-run with --show-mnemonic'],
      },
    };
  },
});
