/**
 * The age v1 header (age.md § "Header"):
 *   age-encryption.org/v1
 *   -> type arg…            (one or more stanzas)
 *   base64 body lines       (64 columns each, the last one shorter, possibly empty)
 *   --- base64(HMAC-SHA256(HKDF(file key, "", "header"), header up to and including "---"))
 * Parsing is strict: every deviation is an IntegrityError.
 */
import { createHmac } from 'node:crypto';
import { IntegrityError } from '../errors.js';
import { hkdf } from './aead.js';
import { decodeBase64Canonical, encodeBase64NoPad, equalBytes, utf8, wipe } from './bytes.js';
import type { ByteReader } from './io.js';
import type { FileKey } from './keys.js';
import type { Stanza } from './stanza.js';

export const VERSION_LINE = 'age-encryption.org/v1';
const COLUMNS = 64;
const LF = Buffer.from('\n');
/**
 * FORMAT.md § 1.3: most recipient stanzas a header may carry. Go age (filippo.io/age,
 * `age.Decrypt`) refuses more than 20 ("too many recipients"); emr records carry one
 * stanza per reader (patient, author, each grantee, the emergency key), so we allow more,
 * but a bound: unwrapping costs one X25519 (or X-Wing) per stanza, and a crafted 1 MiB
 * header held 10,698 X25519 stanzas (~10 s of CPU).
 */
export const MAX_STANZAS = 128;
/** FORMAT.md § 1.3: bound on the header we buffer (128 post-quantum stanzas are ~200 KiB). */
export const MAX_HEADER_SIZE = 256 * 1024;

export interface Header {
  stanzas: Stanza[];
  /** Exact header bytes up to and including "---" (what the MAC covers). */
  macInput: Uint8Array;
  mac: Uint8Array;
  /** Length of the full header including the MAC line. */
  size: number;
}

function bad(what: string): IntegrityError {
  return new IntegrityError(`invalid age header: ${what}`, {
    hint: 'the file is not an age file, or it was truncated or tampered with',
  });
}

/** age.md: arguments are non-empty strings of VCHAR (0x21–0x7E). */
function isArg(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

export function encodeHeaderWithoutMac(stanzas: readonly Stanza[]): Uint8Array {
  let s = `${VERSION_LINE}\n`;
  for (const st of stanzas) {
    if (st.args.length === 0 || !st.args.every(isArg)) throw bad('stanza argument');
    s += `-> ${st.args.join(' ')}\n`;
    const b64 = encodeBase64NoPad(st.body);
    // Full 64-column lines, then a final shorter line (empty when the body fills the last line).
    for (let i = 0; i <= b64.length; i += COLUMNS) s += `${b64.slice(i, i + COLUMNS)}\n`;
  }
  return utf8(`${s}---`);
}

export function headerMacKey(fileKey: FileKey): Uint8Array {
  return hkdf(fileKey, new Uint8Array(0), 'header', 32);
}

export function computeHeaderMac(fileKey: FileKey, macInput: Uint8Array): Uint8Array {
  const k = headerMacKey(fileKey);
  const mac = new Uint8Array(createHmac('sha256', k).update(macInput).digest());
  wipe(k);
  return mac;
}

export function encodeHeader(stanzas: readonly Stanza[], fileKey: FileKey): Uint8Array {
  const macInput = encodeHeaderWithoutMac(stanzas);
  const mac = computeHeaderMac(fileKey, macInput);
  return Buffer.concat([macInput, Buffer.from(` ${encodeBase64NoPad(mac)}\n`)]);
}

/** age.md: "the HMAC MUST be verified" — constant-time compare. */
export function verifyHeaderMac(h: Header, fileKey: FileKey): void {
  if (!equalBytes(computeHeaderMac(fileKey, h.macInput), h.mac)) {
    throw new IntegrityError('age header MAC mismatch', {
      hint: 'the file header was tampered with',
    });
  }
}

export async function readHeader(r: ByteReader): Promise<Header> {
  const lines: Buffer[] = [];
  let size = 0;
  const next = async (): Promise<string> => {
    const line = await r.readLine(MAX_HEADER_SIZE - size);
    if (line === null) throw bad(size === 0 ? 'not an age file' : 'truncated or oversized header');
    size += line.length + 1;
    lines.push(line, LF);
    // latin1 keeps one char per byte so non-ASCII bytes fail the character checks below.
    return line.toString('latin1');
  };

  if ((await next()) !== VERSION_LINE) throw bad('unsupported version line');
  const stanzas: Stanza[] = [];
  for (;;) {
    const line = await next();
    if (line.startsWith('-> ')) {
      // Refused as soon as it is seen: nothing more is read or unwrapped.
      if (stanzas.length === MAX_STANZAS) throw bad(`more than ${MAX_STANZAS} recipient stanzas`);
      const args = line.slice(3).split(' ');
      if (!args.every(isArg)) throw bad('stanza arguments');
      const body: Uint8Array[] = [];
      for (;;) {
        const b = await next();
        const bytes = b.length <= COLUMNS ? decodeBase64Canonical(b) : null;
        if (!bytes) throw bad('stanza body is not canonical base64 in 64-column lines');
        body.push(bytes);
        if (b.length < COLUMNS) break;
      }
      stanzas.push({ args, body: Buffer.concat(body) });
      continue;
    }
    if (line.startsWith('--- ')) {
      const mac = decodeBase64Canonical(line.slice(4));
      if (mac?.length !== 32) throw bad('MAC line');
      if (stanzas.length === 0) throw bad('no recipient stanzas');
      const all = Buffer.concat(lines);
      return { stanzas, macInput: all.subarray(0, size - (line.length + 1) + 3), mac, size };
    }
    throw bad('expected a stanza or the MAC line');
  }
}
