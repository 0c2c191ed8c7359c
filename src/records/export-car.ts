/**
 * `emr record export --format car` (docs/STORAGE.md § "CAR files"): a backup a patient or
 * a site can restore anywhere. Every block of every record the acting profile may read
 * (ciphertext exactly as stored, CIDs unchanged) and the key-delivery objects addressed
 * to it, as one CARv1 whose roots are those CIDs. Written atomically (temp + rename);
 * nothing is decrypted, so no passphrase is needed.
 */
import { CID } from 'multiformats/cid';
import { partsToCid } from '../chain/cid.js';
import { canRead, keyDeliveries } from '../chain/grants.js';
import { listRecords } from '../chain/records.js';
import { CODEC_RAW } from '../chain/types.js';
import { NotFoundError, UnavailableError } from '../errors.js';
import { carBytes, walkDag } from '../ipfs/car.js';
import type { Only } from '../session/index.js';
import { saveStream } from './save.js';

export interface ExportedCar {
  path: string;
  sha256: string;
  patient: string;
  records: Array<{ id: string; cid: string }>;
  keyDeliveries: string[];
  blocks: number;
}

/** Needs no unlocked identity: the reader is the acting profile's address. */
export async function exportCar(s: Only<'ctx' | 'chain' | 'store'>, patient: string, target: string): Promise<ExportedCar> {
  const reader = s.ctx.profile().address;
  const getBlock = s.store.getBlock?.bind(s.store);
  if (!getBlock) throw new UnavailableError('this store cannot export blocks', { hint: 'use the embedded store or a Kubo node' });

  const own = patient.toLowerCase() === reader.toLowerCase();
  const all = await listRecords(s.chain, { patient });
  const records = [];
  for (const r of all) {
    if (own || (await canRead(s.chain, { reader: reader, patient: r.patient, recordType: r.recordType, recordId: r.id }))) records.push(r);
  }
  const deliveries = own
    ? []
    : (await keyDeliveries(s.chain, patient, reader)).map((d) => partsToCid({ cidCodec: CODEC_RAW, digest: d.keyDelivery }));
  const roots = [...new Set([...records.map((r) => r.cid), ...deliveries])].map((c) => CID.parse(c));

  let blocks = 0;
  const seen = new Set<string>();
  async function* everything() {
    for (const root of roots) {
      try {
        for await (const b of walkDag(root, (c) => getBlock!(c), seen)) {
          blocks++;
          yield b;
        }
      } catch (e) {
        if (e instanceof NotFoundError) {
          throw new NotFoundError(`${e.message} (needed for the export)`, {
            hint: 'fetch the record once with --ipfs-api/--ipfs-gateway of a site that has it, or export where it is stored',
            cause: e,
          });
        }
        throw e;
      }
    }
  }
  const sha256 = await saveStream(carBytes(roots, everything()), target);
  return {
    path: target,
    sha256,
    patient,
    records: records.map((r) => ({ id: r.id.toString(), cid: r.cid })),
    keyDeliveries: deliveries,
    blocks,
  };
}
