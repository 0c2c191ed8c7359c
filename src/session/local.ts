/**
 * A session for a command that works on local files only (`emr decrypt`, `emr encrypt` to
 * age1… recipients and profiles): the base and, when asked, the unlocked profile. It imports
 * neither the chain client (ethers, ~0.3 s to load) nor the record store (the IPFS stack), so
 * such a command loads neither (issue 11). `openSession` (./index.ts) is the one that opens them.
 */
import type { Context } from '../context.js';
import type { TypedDataSigner } from '../crypto/bundle-signature.js';
import { IntegrityError } from '../errors.js';
import type { Profile } from '../keys/profiles.js';
import { safeText } from '../output.js';
import { type SessionBase, sessionBase } from './base.js';
import { isProfileKey, type Unlocked, unlock } from './unlock.js';

export async function openLocalSession<const U extends boolean>(
  ctx: Context,
  needs: { unlock: U; profile?: string },
): Promise<SessionBase & (U extends true ? { me: Unlocked } : { me?: Unlocked })> {
  const me = needs.unlock ? await unlock(ctx, needs.profile) : undefined;
  return { ...sessionBase(ctx), ...(me ? { me } : {}) } as SessionBase & (U extends true ? { me: Unlocked } : { me?: Unlocked });
}

/** What a flow that only signs needs of the acting identity (Unlocked has all of it). */
export interface SigningIdentity {
  profile: Profile;
  age: { recipient: string };
  signer: TypedDataSigner;
}

/**
 * The acting identity with its keystore being unlocked in the background: the public parts
 * (address, age recipient) come from the profile now, and the signer waits for the key when
 * it is asked to sign. `emr encrypt` to a file signs only in the bundle's trailer, after the
 * whole content: the keystore's scrypt (~0.4 s) then runs beside the encryption instead of
 * before it (issue 11 goal 1). Only for a passphrase that is not prompted for (a prompt
 * must not share the terminal with the work) and an output that is committed at the end (a
 * wrong passphrase must not leave half a bundle on stdout): the caller checks both.
 * Before signing, the unlocked key must be the profile's own, address and recipient: the
 * header already named the profile's recipient (`--self`).
 */
export function unlockingIdentity(ctx: Context): SigningIdentity {
  const profile = ctx.profile();
  const ready = unlock(ctx);
  ready.catch(() => undefined); // handled where the signer awaits it
  return {
    profile,
    age: { recipient: profile.recipient },
    signer: {
      address: profile.address,
      async signTypedData(domain, types, value) {
        const me = await ready;
        if (!isProfileKey(profile, me.privateKey) || me.age.recipient !== profile.recipient) {
          throw new IntegrityError(`the keystore of profile '${safeText(profile.name)}' does not hold the profile's key`, {
            hint: 'the profile file and its keystore disagree; restore them together (`emr key import`)',
          });
        }
        return me.signer.signTypedData(domain, types, value);
      },
    },
  };
}
