/**
 * Who a new record is encrypted to (docs/CLI.md § Records, docs/SHARING.md § 1): the patient,
 * the author, every provider holding a live grant that covers the type, and — when the
 * patient marked the type emergency-visible — the consortium's emergency recipient.
 */
import type { EmrChain } from '../chain/types.js';
import { AccessDeniedError, NotFoundError } from '../errors.js';

export interface RecordRecipients {
  /** age recipients, de-duplicated. */
  recipients: string[];
  /** Addresses of the providers (other than author/patient) the record is encrypted to. */
  readers: string[];
  emergency: boolean;
}

export async function recipientsForRecord(chain: EmrChain, p: { patient: string; author: string; authorRecipient: string; recordType: number }): Promise<RecordRecipients> {
  const { whois } = await import('../chain/whois.js');
  const { liveReaders } = await import('../chain/grants.js');
  const patient = await whois(chain, p.patient);
  if (!patient.registered || patient.role !== 'patient' || !patient.recipient) {
    throw new NotFoundError(`${p.patient} is not a registered patient`, { hint: 'the patient must run `emr register` first' });
  }
  const readers = (await liveReaders(chain, p.patient, p.recordType)).filter(
    (r) => r.address.toLowerCase() !== p.author.toLowerCase() && r.address.toLowerCase() !== p.patient.toLowerCase(),
  );
  const recipients = [patient.recipient, p.authorRecipient, ...readers.map((r) => r.recipient)];
  let emergency = false;
  if ((patient.emergencyTypes >>> p.recordType) & 1) {
    const { emergencyRecipient } = await import('./emergency.js');
    const er = await emergencyRecipient(chain);
    if (er) {
      recipients.push(er);
      emergency = true;
    }
  }
  return { recipients: [...new Set(recipients)], readers: readers.map((r) => r.address), emergency };
}

/** The author may add this record: the patient themself, or a verified provider the patient allowed to write. */
export async function assertCanWrite(chain: EmrChain, p: { author: string; patient: string; recordType: number; typeName: string }): Promise<void> {
  const { canWrite } = await import('../chain/grants.js');
  if (!(await canWrite(chain, p))) {
    // Say which condition failed: an unregistered patient used to be told that the
    // provider must be verified.
    const { whois } = await import('../chain/whois.js');
    const [patient, author] = await Promise.all([whois(chain, p.patient), whois(chain, p.author)]);
    if (!patient.registered) {
      throw new NotFoundError(`patient ${p.patient} is not registered on this chain`, { hint: 'the patient must run `emr register` first (records are added for registered patients only)' });
    }
    if (author.role === 'provider' && !author.verified) {
      throw new AccessDeniedError(`not allowed to add ${p.typeName} records for ${p.patient}: you are not a verified provider`, { hint: 'ask a consortium admin to run `emr admin verify <you>`' });
    }
    throw new AccessDeniedError(`not allowed to add ${p.typeName} records for ${p.patient}: no live write grant for ${p.typeName}`, {
      hint: `the patient grants it with \`emr grant <you> --write --types ${p.typeName}\`; ask with \`emr access request <patient> --types ${p.typeName}\``,
    });
  }
}
