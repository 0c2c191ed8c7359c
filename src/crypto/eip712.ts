/**
 * EIP-712 typed-data hashing with @noble/hashes' Keccak-256 (docs/FORMAT.md § 4), so a bundle
 * signature is made and checked without loading ethers (~0.3 s of start-up here). It follows
 * the EIP's "Definition of encodeType / encodeData / hashStruct" and takes what ethers 6
 * `TypedDataEncoder` takes for these types: structs (nested, sorted dependencies), arrays
 * (`T[]`, `T[n]`), string, bytes, bool, address, bytes1..32, uint8..256, int8..256. The
 * digests equal ethers' (test/crypto/eip712.test.ts checks the EIP's own Mail example and
 * every type emr signs against ethers).
 *
 * The types come from our code; the values may come from a hostile bundle or file, so every
 * value is checked against its type and a bad one throws (the caller names the error).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { toChecksumAddress } from './address.js';

/** ethers' TypedDataField / TypedDataDomain shapes, declared here so no ethers type is needed. */
export interface TypedField {
  name: string;
  type: string;
}
export type TypedTypes = Record<string, readonly TypedField[]>;
export interface TypedDomain {
  name?: string | null;
  version?: string | null;
  chainId?: bigint | number | string | null;
  verifyingContract?: string | null;
  salt?: string | Uint8Array | null;
}

const utf8 = new TextEncoder();
const ARRAY = /^(.*)\[(\d*)\]$/;
const INT = /^(u?)int(\d*)$/;
const BYTES_N = /^bytes(\d+)$/;
/** Struct nesting a value may reach; our types nest at most twice. */
const MAX_DEPTH = 16;

function bad(type: string, why: string): never {
  throw new TypeError(`invalid EIP-712 value for ${type}: ${why}`);
}

function bytesOf(v: unknown, type: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string' && /^0x(?:[0-9a-fA-F]{2})*$/.test(v)) return Uint8Array.from(Buffer.from(v.slice(2), 'hex'));
  return bad(type, 'expected 0x-prefixed hex bytes');
}

function bigintOf(v: unknown, type: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : bad(type, 'not a safe integer');
  if (typeof v === 'string' && /^(-?[0-9]{1,78}|0x[0-9a-fA-F]{1,64})$/.test(v)) return BigInt(v);
  return bad(type, 'expected an integer');
}

/** The struct type names `type` refers to, itself included, in first-seen order. */
function dependencies(types: TypedTypes, type: string, found: Set<string> = new Set()): Set<string> {
  const base = type.replace(/(\[\d*\])+$/, '');
  if (found.has(base) || !types[base]) return found;
  found.add(base);
  for (const f of types[base]!) dependencies(types, f.type, found);
  return found;
}

/** encodeType: the primary type, then its dependencies sorted by name. */
export function encodeType(types: TypedTypes, primary: string): string {
  const deps = [...dependencies(types, primary)].filter((t) => t !== primary).sort();
  return [primary, ...deps].map((t) => `${t}(${types[t]!.map((f) => `${f.type} ${f.name}`).join(',')})`).join('');
}

/** The one type no other type refers to (what ethers calls the primary type). */
export function primaryType(types: TypedTypes): string {
  const referenced = new Set(Object.values(types).flatMap((fs) => fs.map((f) => f.type.replace(/(\[\d*\])+$/, ''))));
  const roots = Object.keys(types).filter((t) => !referenced.has(t));
  if (roots.length !== 1) throw new TypeError(`EIP-712 types need exactly one primary type, found ${roots.length}`);
  return roots[0]!;
}

/** One 32-byte word of encodeData for `value` of `type`. */
function encodeValue(types: TypedTypes, type: string, value: unknown, depth: number): Uint8Array {
  if (depth > MAX_DEPTH) bad(type, 'nested too deeply');
  if (types[type]) return hashStruct(types, type, value, depth + 1);
  const arr = ARRAY.exec(type);
  if (arr) {
    if (!Array.isArray(value)) bad(type, 'expected an array');
    if (arr[2] !== '' && value.length !== Number(arr[2])) bad(type, `expected ${arr[2]} elements`);
    const out = new Uint8Array(32 * value.length);
    value.forEach((v, i) => out.set(encodeValue(types, arr[1]!, v, depth + 1), 32 * i));
    return keccak_256(out);
  }
  if (type === 'string') return typeof value === 'string' ? keccak_256(utf8.encode(value)) : bad(type, 'expected a string');
  if (type === 'bytes') return keccak_256(bytesOf(value, type));
  const word = new Uint8Array(32);
  if (type === 'bool') {
    if (typeof value !== 'boolean') bad(type, 'expected true or false');
    word[31] = value ? 1 : 0;
    return word;
  }
  if (type === 'address') {
    // What ethers' getAddress takes for hex: all-lower, all-upper or a valid EIP-55 checksum.
    const a = typeof value === 'string' && /^0x/.test(value) ? toChecksumAddress(value) : null;
    if (a === null) bad(type, 'expected a 0x address with a valid checksum');
    word.set(Buffer.from(a.slice(2), 'hex'), 12);
    return word;
  }
  const bn = BYTES_N.exec(type);
  if (bn) {
    const n = Number(bn[1]);
    if (n < 1 || n > 32) bad(type, 'no such type');
    const b = bytesOf(value, type);
    if (b.length !== n) bad(type, `expected ${n} bytes`);
    word.set(b, 0);
    return word;
  }
  const int = INT.exec(type);
  if (int) {
    const bits = int[2] === '' ? 256 : Number(int[2]);
    if (bits < 8 || bits > 256 || bits % 8 !== 0) bad(type, 'no such type');
    const n = bigintOf(value, type);
    const signed = int[1] === '';
    const lo = signed ? -(1n << BigInt(bits - 1)) : 0n;
    const hi = signed ? 1n << BigInt(bits - 1) : 1n << BigInt(bits);
    if (n < lo || n >= hi) bad(type, 'out of range');
    let x = BigInt.asUintN(256, n);
    for (let i = 31; i >= 0 && x > 0n; i--, x >>= 8n) word[i] = Number(x & 0xffn);
    return word;
  }
  return bad(type, 'unknown type');
}

/** hashStruct(s) = keccak256(typeHash ‖ encodeData(s)). */
export function hashStruct(types: TypedTypes, type: string, value: unknown, depth = 0): Uint8Array {
  if (typeof value !== 'object' || value === null) bad(type, 'expected an object');
  const fields = types[type]!;
  const buf = new Uint8Array(32 * (1 + fields.length));
  buf.set(keccak_256(utf8.encode(encodeType(types, type))), 0);
  fields.forEach((f, i) => {
    const v = (value as Record<string, unknown>)[f.name];
    if (v === undefined) bad(f.type, `missing field ${f.name}`);
    buf.set(encodeValue(types, f.type, v, depth), 32 * (i + 1));
  });
  return keccak_256(buf);
}

/** The EIP712Domain fields a domain has, in the EIP's order. */
const DOMAIN_FIELDS: readonly TypedField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
];

export function domainSeparator(domain: TypedDomain): Uint8Array {
  const d = domain as Record<string, unknown>;
  for (const k of Object.keys(d)) {
    if (!DOMAIN_FIELDS.some((f) => f.name === k)) throw new TypeError(`invalid EIP-712 domain field: ${k}`);
  }
  const fields = DOMAIN_FIELDS.filter((f) => d[f.name] !== undefined && d[f.name] !== null);
  return hashStruct({ EIP712Domain: fields }, 'EIP712Domain', d);
}

/** The digest a signer signs: keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)). */
export function typedDataDigest(domain: TypedDomain, types: TypedTypes, value: Record<string, unknown>): Uint8Array {
  const pre = new Uint8Array(66);
  pre[0] = 0x19;
  pre[1] = 0x01;
  pre.set(domainSeparator(domain), 2);
  pre.set(hashStruct(types, primaryType(types), value), 34);
  return keccak_256(pre);
}
