/**
 * Reads DER TLVs (pure): enough to walk a certificate that OpenSSL has already parsed. Single-byte
 * tags and definite lengths only; anything else, or a length past its parent, throws.
 */

export interface DerNode {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the last content byte. */
  end: number;
}

/** The TLV at `offset`, which must end by `limit`. */
export function readDer(buf: Uint8Array, offset = 0, limit = buf.length): DerNode {
  if (offset + 2 > limit) throw new Error('DER: truncated header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not supported');
  let length = buf[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: unsupported length form');
    if (start + n > limit) throw new Error('DER: truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + length;
  if (end > limit) throw new Error('DER: length past the end');
  return { tag, start, end };
}

/** The TLVs inside a constructed `node`, in order. */
export function derChildren(buf: Uint8Array, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let at = node.start; at < node.end; ) {
    const child = readDer(buf, at, node.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The dotted form of an OBJECT IDENTIFIER node. */
export function derOid(buf: Uint8Array, node: DerNode): string {
  if (node.tag !== 0x06 || node.end === node.start) throw new Error('DER: not an OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let v = 0;
  for (let i = node.start; i < node.end; i++) {
    v = v * 128 + (buf[i]! & 0x7f);
    if (!Number.isSafeInteger(v)) throw new Error('DER: OID arc too large');
    if (!(buf[i]! & 0x80)) {
      arcs.push(v);
      v = 0;
    } else if (i === node.end - 1) throw new Error('DER: truncated OID');
  }
  const first = arcs.shift()!;
  return [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80, ...arcs].join('.');
}
