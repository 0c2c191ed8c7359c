/**
 * Who a new record is encrypted to (docs/CLI.md § Records, docs/SHARING.md § 1): the patient, the author, every
 * provider holding a live grant that covers the type, and — when the patient marked the
 * type emergency-visible — the consortium's emergency recipient.
 *
 * Readers are other people's keys, published by them: a grantee may publish garbage or a
 * key of the other kind. None of that may stop the patient's records (SHARING.md § 1.5):
 * such a reader is skipped with a warning; the record is still encrypted to the patient
 * and the author.
 */

import { emergencyRecipient } from '../chain/emergency-recipient.js';
import { canWrite, liveReaders, readerKey } from '../chain/grants.js';
import { liveOrgReaders } from '../chain/org-state.js';
import type { EmrChain } from '../chain/types.js';
import { type AccountInfo, whois, whoisForEncryption } from '../chain/whois.js';
import { parseRecipient } from '../crypto/identity.js';
import { AccessDeniedError, IntegrityError, NotFoundError } from '../errors.js';

export interface RecordRecipients {
  /** age recipients, de-duplicated. */
  recipients: string[];
  /** Addresses of the providers (other than author/patient) the record is encrypted to. */
  readers: string[];
  emergency: boolean;
  /** One line per reader (or the emergency key) left out, and why (SHARING.md § 1.5). */
  warnings: string[];
}

type Kind = 'x25519' | 'mlkem768x25519';

/** The recipient's kind, or null when it is not a valid age recipient. Never throws. */
async function kindOf(recipient: string): Promise<Kind | null> {
  try {
    return parseRecipient(recipient).kind;
  } catch {
    return null;
  }
}

const KIND_NAME: Readonly<Record<Kind, string>> = { x25519: 'X25519 (age1…)', mlkem768x25519: 'post-quantum (age1pq1…)' };

export async function recipientsForRecord(
  chain: EmrChain,
  p: {
    patient: string;
    author: string;
    authorRecipient: string;
    recordType: number;
    /**
     * The patient's `whoisForEncryption`, when the caller asks it once for several types
     * (a batch: once per patient, not per (patient, type)). Default: asked here.
     */
    patientInfo?: Promise<AccountInfo>;
  },
): Promise<RecordRecipients> {
  // The patient's key is never skipped: a changed or disputed one refuses the record (§ 8.2).
  const patient = await (p.patientInfo ?? whoisForEncryption(chain, p.patient));
  if (!patient.registered || patient.role !== 'patient' || !patient.recipient) {
    throw new NotFoundError(`${p.patient} is not a registered patient`, { hint: 'the patient must run `emr register` first' });
  }
  // SHARING.md § 1.5: a record has one key kind, the patient's (age refuses to mix kinds:
  // a file is only as strong as its weakest stanza). The patient's own key must be valid.
  const kind = await kindOf(patient.recipient);
  if (!kind) {
    throw new IntegrityError(`the patient ${p.patient} has published a key that is not a valid age recipient`, {
      hint: 'the patient must register again (`emr register`) before records can be added',
    });
  }
  const warnings: string[] = [];
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const recipients = [patient.recipient];
  if (!same(p.author, p.patient)) {
    const authorKind = await kindOf(p.authorRecipient);
    if (authorKind === kind) recipients.push(p.authorRecipient);
    else
      warnings.push(
        `not encrypted to you (the author): your key is ${authorKind ? KIND_NAME[authorKind] : 'not a valid age recipient'}, the patient's is ${KIND_NAME[kind]}; you cannot re-open this record`,
      );
  }
  const readers: string[] = [];
  const direct = await liveReaders(chain, p.patient, p.recordType);
  // SHARING.md § 9.3: an org grant is expanded to the org's members now (a member who left
  // is not one; one who joined since is).
  const viaOrgs = (await liveOrgReaders(chain, p.patient, p.recordType)).filter((o) => !direct.some((d) => same(d.address, o.address)));
  for (const r of [...direct, ...(await Promise.all([...new Set(viaOrgs.map((o) => o.address))].map((a) => readerKey(chain, a))))]) {
    if (same(r.address, p.author) || same(r.address, p.patient)) continue;
    if (r.refused) {
      // SHARING.md § 8.2 with § 1.5: never encrypted to a changed key, never blocking the record.
      warnings.push(`reader ${r.address} skipped: ${r.refused.message}${r.refused.hint ? ` (${r.refused.hint})` : ''}`);
      continue;
    }
    const k = r.recipient ? await kindOf(r.recipient) : null;
    if (k === kind) {
      recipients.push(r.recipient);
      readers.push(r.address);
    } else {
      warnings.push(
        `reader ${r.address} skipped: its published key ${k ? `is ${KIND_NAME[k]}, the patient's is ${KIND_NAME[kind]}` : 'is not a valid age recipient'}; it cannot open this record until it registers a ${KIND_NAME[kind]} key and the patient shares it again`,
      );
    }
  }
  let emergency = false;
  if ((patient.emergencyTypes >>> p.recordType) & 1) {
    const er = await pinnedEmergencyKey(chain, warnings);
    if (er) {
      const k = await kindOf(er);
      if (k === kind) {
        recipients.push(er);
        emergency = true;
      } else {
        warnings.push(
          `consortium emergency key skipped: it ${k ? `is ${KIND_NAME[k]}, the patient's is ${KIND_NAME[kind]}` : 'is not a valid age recipient'}; break-glass cannot open this record`,
        );
      }
    }
  }
  return { recipients: [...new Set(recipients)], readers, emergency, warnings };
}

/**
 * The consortium emergency recipient, pinned in the contact book under the contract's
 * address (SHARING.md § 8.2); a changed one is skipped with a warning, like a bad reader.
 */
async function pinnedEmergencyKey(chain: EmrChain, warnings: string[]): Promise<string | null> {
  const er = await emergencyRecipient(chain);
  if (!er || !chain.vetRecipient) return er;
  try {
    await chain.vetRecipient(chain.address, er);
    return er;
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    warnings.push(`consortium emergency key skipped: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
    return null;
  }
}

/** The author may add this record: the patient themself, or a verified provider the patient allowed to write. */
export async function assertCanWrite(
  chain: EmrChain,
  p: { author: string; patient: string; recordType: number; typeName: string },
): Promise<void> {
  if (!(await canWrite(chain, p))) {
    // Say which condition failed: an unregistered patient used to be told that the
    // provider must be verified.
    const [patient, author] = await Promise.all([whois(chain, p.patient), whois(chain, p.author)]);
    if (!patient.registered) {
      throw new NotFoundError(`patient ${p.patient} is not registered on this chain`, {
        hint: 'the patient must run `emr register` first (records are added for registered patients only)',
      });
    }
    if (author.role === 'provider' && !author.verified) {
      throw new AccessDeniedError(`not allowed to add ${p.typeName} records for ${p.patient}: you are not a verified provider`, {
        hint: 'ask a consortium admin to run `emr admin verify <you>`',
      });
    }
    throw new AccessDeniedError(`not allowed to add ${p.typeName} records for ${p.patient}: no live write grant for ${p.typeName}`, {
      hint: `the patient grants it with \`emr grant <you> --write --types ${p.typeName}\`; ask with \`emr access request <patient> --types ${p.typeName}\``,
    });
  }
}
