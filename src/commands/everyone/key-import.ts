/**
 * `emr key import <file> --name <profile>` (docs/CLI.md § Identity): a Web3 Secret Storage v3
 * keystore from geth, cast or ethers (kept byte-for-byte, with its own passphrase), or with
 * `--mnemonic` a file holding a BIP-39 phrase (`-` reads stdin), encrypted under a new
 * passphrase. The age identity is derived from the account (docs/KEYSTORE.md § 3).
 */
import { readFileSync } from 'node:fs';
import { inputFileError, UsageError } from '../../errors.js';
import { checkProfileName, type Profile, ROLES, type Role } from '../../keys/profiles.js';
import { defineCommand } from '../spec.js';

async function readInput(ctx: { io: { stdin: NodeJS.ReadableStream } }, file: string): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of ctx.io.stdin) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks);
  }
  try {
    return readFileSync(file);
  } catch (e) {
    throw inputFileError(file, e);
  }
}

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
  async run(ctx, [file]: [string], opts: { name?: string; mnemonic?: boolean; role: Role; pq?: boolean; force?: boolean; weakPassphraseOk?: boolean }) {
    if (!opts.name) throw new UsageError('missing --name <profile>', { hint: 'e.g. emr key import wallet.json --name alice' });
    const name = checkProfileName(opts.name);
    if (ctx.profiles.exists(name) && !opts.force) {
      throw new UsageError(`profile '${name}' already exists`, { hint: 'choose another --name, or pass --force' });
    }
    const input = ctx.holdSecret(await readInput(ctx, file));
    const ks = await import('../../keys/keystore-v3.js');
    const { ageKeysFromAccount } = await import('../../session/unlock.js');
    const kind = opts.pq ? 'mlkem768x25519' : 'x25519';
    let keystore: import('../../keys/keystore-v3.js').KeystoreV3 | string;
    let privateKey: Uint8Array;
    if (opts.mnemonic) {
      const { createAccount } = await import('../../keys/create.js');
      let made;
      try {
        made = await createAccount({ phrase: input.toString('utf8') });
      } catch (e) {
        throw new UsageError('not a valid BIP-39 recovery phrase', { hint: 'check the words and their order (English word list)', cause: e });
      }
      privateKey = ctx.holdSecret(made.privateKey);
      ctx.holdSecret(made.entropy);
      const pass = await (await import('../../session/prompts.js')).askPassphrase(ctx, `protect the imported profile '${name}'`, { confirm: true, newKey: { weakOk: opts.weakPassphraseOk, userInputs: [name] } });
      keystore = await ks.encryptKeystore({ privateKey, mnemonic: { entropy: made.entropy, path: made.path, locale: 'en' } }, pass);
    } else {
      keystore = input.toString('utf8');
      const pass = await (await import('../../session/prompts.js')).askPassphrase(ctx, `open the keystore ${file}`);
      const secret = await ks.decryptKeystore(ks.parseKeystore(keystore), pass);
      privateKey = ctx.holdSecret(secret.privateKey);
      if (secret.mnemonic) ctx.holdSecret(secret.mnemonic.entropy);
    }
    const { getAddress } = await import('ethers');
    const address = getAddress('0x' + ks.addressOf(privateKey));
    const age = ageKeysFromAccount(privateKey, kind);
    const profile: Profile = { name, address, role: opts.role, identityKind: kind, recipient: age.recipient, createdAt: ctx.clock.now().toISOString() };
    ctx.profiles.save(profile, keystore, { force: opts.force });
    if (!ctx.config.get('defaultProfile')) ctx.config.update({ defaultProfile: name });
    return {
      data: { profile: name, address, recipient: age.recipient, role: opts.role, identityKind: kind },
      view: { title: `Imported identity '${name}'`, fields: [['address', address], ['recipient', age.recipient], ['role', opts.role]] },
    };
  },
});
