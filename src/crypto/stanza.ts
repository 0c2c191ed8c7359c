/** A recipient stanza (age.md § "Header"): `-> type args…` then a base64 body. */
export interface Stanza {
  /** All arguments, the first being the stanza type. */
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

/** 16-byte file key + 16-byte Poly1305 tag: the only body size age's native stanzas use. */
export const STANZA_BODY_SIZE = 32;
