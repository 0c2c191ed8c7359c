/**
 * `emr keygen`, the whole use case (docs/CLI.md § Identity; docs/KEYSTORE.md): a new
 * account with a BIP-39 recovery phrase, its age key derived from the account, the
 * keystore encrypted under a new passphrase, saved as a profile (the first one becomes
 * the default).
 */
import { createAccount } from '../keys/create.js';
import type { Role } from '../keys/profiles.js';
import { newKeystoreCost } from '../keys/test-kdf.js';
import type { SessionBase } from '../session/index.js';
import { saveNewProfile, sealNewAccount } from '../session/new-profile.js';
import { refuseExistingProfile } from './profile-name.js';

export interface KeygenInput {
  name: string;
  role: Role;
  pq: boolean;
  force: boolean;
  words: 12 | 24;
  weakPassphraseOk: boolean;
}

export interface KeygenData {
  profile: string;
  address: string;
  recipient: string;
  role: Role;
  identityKind: string;
  keystore: string;
  mnemonic?: string;
}

/** The new profile and its recovery phrase (a secret: the command decides where it may go). */
export async function createIdentity(s: SessionBase, input: KeygenInput): Promise<{ data: KeygenData; phrase: string }> {
  const { ctx } = s;
  const { name } = input;
  // Refuse before asking for a passphrase: nothing to lose, nothing to type twice.
  refuseExistingProfile(ctx, name, input.force, 'choose another --name, or pass --force to replace it');
  const cost = newKeystoreCost(ctx.env);
  const pass = await s.passphrase(`protect the new profile '${name}'`, {
    confirm: true,
    newKey: { weakOk: input.weakPassphraseOk, userInputs: [name] },
  });
  const made = await createAccount({ words: input.words });
  ctx.holdSecret(made.privateKey);
  ctx.holdSecret(made.entropy);
  const kind = input.pq ? 'mlkem768x25519' : 'x25519';
  const keystore = await sealNewAccount(made, pass, cost);
  const { profile } = saveNewProfile(ctx, {
    name,
    role: input.role,
    kind,
    address: made.address,
    privateKey: made.privateKey,
    keystore,
    createdAt: s.now(),
    force: input.force,
  });
  return {
    data: {
      profile: name,
      address: profile.address,
      recipient: profile.recipient,
      role: profile.role,
      identityKind: kind,
      keystore: ctx.profiles.keystorePath(name),
    },
    phrase: made.phrase,
  };
}
