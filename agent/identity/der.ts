/**
 * The few DER encodings the agent's certificate request needs (pure, ITU-T X.690): definite lengths,
 * minimal forms, no indefinite or constructed strings. Everything returns a complete TLV.
 */

function lengthOf(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), lengthOf(body.length), body]);
}

/** Base-128 digits of one OID arc, most significant first, continuation bit on all but the last. */
function arc(v: number): number[] {
  const out = [v & 0x7f];
  for (let rest = Math.floor(v / 128); rest > 0; rest = Math.floor(rest / 128)) out.unshift((rest & 0x7f) | 0x80);
  return out;
}

function oid(dotted: string): Buffer {
  const n = dotted.split('.').map(Number);
  if (n.length < 2 || n.some((x) => !Number.isSafeInteger(x) || x < 0) || n[0]! > 2 || (n[0]! < 2 && n[1]! > 39)) {
    throw new Error(`invalid OID ${dotted}`);
  }
  return tlv(0x06, Buffer.from([...arc(n[0]! * 40 + n[1]!), ...n.slice(2).flatMap(arc)]));
}

/** A non-negative INTEGER. */
function uint(v: number): Buffer {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`invalid INTEGER ${v}`);
  const bytes: number[] = [];
  for (let x = v; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

/** PrintableString's alphabet (X.680 41.4). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** A directory string: PrintableString when the alphabet allows, else UTF8String (RFC 5280 4.1.2.6). */
function directoryString(s: string): Buffer {
  return PRINTABLE.test(s) ? tlv(0x13, Buffer.from(s, 'latin1')) : tlv(0x0c, Buffer.from(s, 'utf8'));
}

/** The bytes of an IA5String (ASCII only), e.g. for a GeneralName's `[6]` URI. */
function ia5Bytes(s: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(s)) throw new Error(`IA5String must be ASCII: ${JSON.stringify(s)}`);
  return Buffer.from(s, 'latin1');
}

export const der = {
  tlv,
  sequence: (...items: Uint8Array[]): Buffer => tlv(0x30, ...items),
  /** SET OF, elements sorted by their encodings (X.690 11.6). */
  setOf: (...items: Uint8Array[]): Buffer => tlv(0x31, ...[...items].sort(Buffer.compare)),
  oid,
  uint,
  directoryString,
  ia5Bytes,
  octetString: (b: Uint8Array): Buffer => tlv(0x04, b),
  /** BIT STRING of whole bytes (no unused bits). */
  bitString: (b: Uint8Array): Buffer => tlv(0x03, Buffer.from([0]), b),
  /** `[n]` constructed, context-specific (IMPLICIT over a constructed type, or EXPLICIT). */
  context: (n: number, ...items: Uint8Array[]): Buffer => tlv(0xa0 | n, ...items),
  /** `[n]` primitive, context-specific (IMPLICIT over a primitive type, e.g. a GeneralName's URI). */
  contextPrimitive: (n: number, b: Uint8Array): Buffer => tlv(0x80 | n, b),
};
