/** `emr keygen --name <profile> [--role …] [--pq]` (docs/CLI.md § Identity). */
import { UsageError } from '../../errors.js';
import { checkProfileName, type Profile, ROLES, type Role } from '../../keys/profiles.js';
import { defineCommand } from '../spec.js';

export interface KeygenData {
  profile: string;
  address: string;
  recipient: string;
  role: Role;
  identityKind: string;
  keystore: string;
  mnemonic?: string;
}

export const keygen = defineCommand({
  name: 'keygen',
  summary: 'create an identity: an Ethereum account that signs and an age key others encrypt to',
  options: [
    { flags: '--name <profile>', description: 'local name of the new identity' },
    { flags: '--role <role>', description: 'patient, provider or admin', choices: ROLES, default: 'patient' },
    { flags: '--pq', description: 'post-quantum hybrid encryption key (ML-KEM-768 + X25519, age1pq1…)' },
    { flags: '--force', description: 'replace an existing profile of that name (its old key is lost unless backed up)' },
    { flags: '--show-mnemonic', description: 'include the recovery phrase in --json output (it is shown on a terminal anyway)' },
    { flags: '--weak-passphrase-ok', description: 'accept a passphrase that is easy to guess (still 8+ characters); for tests and throw-away keys' },
    { flags: '--words <n>', description: 'recovery phrase length: 12 or 24 words', choices: ['12', '24'], default: '24' },
  ],
  examples: ['emr keygen --name alice --role patient', 'emr keygen --name dr-bob --role provider --password-file pw.txt --json'],
  async run(ctx, _args, opts: { name?: string; role: Role; pq?: boolean; force?: boolean; showMnemonic?: boolean; words: string; weakPassphraseOk?: boolean }) {
    if (!opts.name) throw new UsageError('missing --name <profile>', { hint: 'e.g. emr keygen --name alice' });
    const name = checkProfileName(opts.name);
    // Refuse before asking for a passphrase: nothing to lose, nothing to type twice.
    if (ctx.profiles.exists(name) && !opts.force) {
      throw new UsageError(`profile '${name}' already exists`, { hint: 'choose another --name, or pass --force to replace it' });
    }
    const pass = await (await import('../../session/prompts.js')).askPassphrase(ctx, `protect the new profile '${name}'`, { confirm: true, newKey: { weakOk: opts.weakPassphraseOk, userInputs: [name] } });
    const { createAccount } = await import('../../keys/create.js');
    const made = await createAccount({ words: opts.words === '12' ? 12 : 24 });
    ctx.holdSecret(made.privateKey);
    ctx.holdSecret(made.entropy);
    const { ageKeysFromAccount } = await import('../../session/unlock.js');
    const { encryptKeystore } = await import('../../keys/keystore-v3.js');
    const kind = opts.pq ? 'mlkem768x25519' : 'x25519';
    const age = ageKeysFromAccount(made.privateKey, kind);
    const keystore = await encryptKeystore({ privateKey: made.privateKey, mnemonic: { entropy: made.entropy, path: made.path, locale: 'en' } }, pass);
    const profile: Profile = {
      name,
      address: made.address,
      role: opts.role,
      identityKind: kind,
      recipient: age.recipient,
      createdAt: ctx.clock.now().toISOString(),
    };
    ctx.profiles.save(profile, keystore, { force: opts.force });
    if (!ctx.config.get('defaultProfile')) ctx.config.update({ defaultProfile: name });
    const data: KeygenData = {
      profile: name,
      address: profile.address,
      recipient: profile.recipient,
      role: profile.role,
      identityKind: kind,
      keystore: ctx.profiles.keystorePath(name),
    };
    if (opts.showMnemonic) data.mnemonic = made.phrase;
    return {
      data,
      view: {
        title: `Created identity '${name}'`,
        fields: [
          ['role', profile.role],
          ['address', profile.address],
          ['recipient', profile.recipient],
          ['keystore', data.keystore],
        ],
        // Admins are made by the contract (the deployer, or `emr admin add`), not by
        // registering; patients and providers publish themselves.
        lines: [
          profile.role === 'admin'
            ? `Next: deploy the contract as this admin (\`emr --profile ${name} devnet up\`, or \`admin deploy\` on another chain), or ask an admin to run \`emr admin add ${profile.address}\`.`
            : `Next: publish it on chain with \`emr --profile ${name} register\`${profile.role === 'provider' ? ', then ask an admin to verify you' : ''}.`,
        ],
        secret: {
          label: 'Recovery phrase (write it down; it is shown only now):',
          value: made.phrase,
          note: 'It restores both the signing account and the encryption key. Anyone who has it can read your records.',
        },
        warnings: ctx.io.stderr.isTTY || opts.showMnemonic ? [] : ['no terminal: the recovery phrase was not shown; back up the keystore file, or re-run with --show-mnemonic'],
      },
    };
  },
});
