/**
 * `emr key import`, the whole use case (docs/CLI.md § Identity; docs/KEYSTORE.md § 3): a Web3
 * Secret Storage v3 keystore from geth, cast or ethers (kept byte-for-byte, with its own
 * passphrase), or a BIP-39 phrase encrypted under a new passphrase. The age identity is
 * derived from the account.
 */
import { readFileSync } from 'node:fs';
import { getAddress } from 'ethers/address';
import { inputFileError, UsageError } from '../errors.js';
import { createAccount } from '../keys/create.js';
import { addressOf, decryptKeystore, type KeystoreV3, parseKeystore } from '../keys/keystore-v3.js';
import type { Role } from '../keys/profiles.js';
import { newKeystoreCost, refuseTestCost } from '../keys/test-kdf.js';
import type { SessionBase } from '../session/index.js';
import { saveNewProfile, sealNewAccount } from '../session/new-profile.js';
import { refuseExistingProfile } from './profile-name.js';

export interface KeyImportInput {
  /** A path, or `-` for stdin. */
  file: string;
  name: string;
  /** The file holds a recovery phrase, not a keystore. */
  mnemonic: boolean;
  role: Role;
  pq: boolean;
  force: boolean;
  weakPassphraseOk: boolean;
}

async function readInput(stdin: NodeJS.ReadableStream, file: string): Promise<Buffer> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks);
  }
  try {
    return readFileSync(file);
  } catch (e) {
    throw inputFileError(file, e);
  }
}

export async function importIdentity(
  s: SessionBase,
  input: KeyImportInput,
): Promise<{ profile: string; address: string; recipient: string; role: Role; identityKind: string }> {
  const { ctx } = s;
  const { name } = input;
  refuseExistingProfile(ctx, name, input.force, 'choose another --name, or pass --force');
  const bytes = ctx.holdSecret(await readInput(ctx.io.stdin, input.file));
  const kind = input.pq ? 'mlkem768x25519' : 'x25519';
  let keystore: KeystoreV3 | string;
  let privateKey: Uint8Array;
  if (input.mnemonic) {
    let made: Awaited<ReturnType<typeof createAccount>>;
    try {
      made = await createAccount({ phrase: bytes.toString('utf8') });
    } catch (e) {
      throw new UsageError('not a valid BIP-39 recovery phrase', { hint: 'check the words and their order (English word list)', cause: e });
    }
    privateKey = ctx.holdSecret(made.privateKey);
    ctx.holdSecret(made.entropy);
    const cost = newKeystoreCost(ctx.env);
    const pass = await s.passphrase(`protect the imported profile '${name}'`, {
      confirm: true,
      newKey: { weakOk: input.weakPassphraseOk, userInputs: [name] },
    });
    keystore = await sealNewAccount(made, pass, cost);
  } else {
    keystore = bytes.toString('utf8');
    const parsed = parseKeystore(keystore);
    refuseTestCost(parsed, ctx.env);
    const pass = await s.passphrase(`open the keystore ${input.file}`);
    const secret = await decryptKeystore(parsed, pass);
    privateKey = ctx.holdSecret(secret.privateKey);
    if (secret.mnemonic) ctx.holdSecret(secret.mnemonic.entropy);
  }
  const address = getAddress('0x' + addressOf(privateKey));
  const { age } = saveNewProfile(ctx, {
    name,
    role: input.role,
    kind,
    address,
    privateKey,
    keystore,
    createdAt: s.now(),
    force: input.force,
  });
  return { profile: name, address, recipient: age.recipient, role: input.role, identityKind: kind };
}
