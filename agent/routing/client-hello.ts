/**
 * Reading the server name (SNI) of a TLS ClientHello from the first bytes of a connection (pure), as
 * Envoy's TLS inspector does for VirtualService `tls` routes. The bytes are not consumed: the
 * connection is forwarded untouched.
 */

/** Outcome of {@link readClientHello}. */
export type ClientHello =
  /** A complete ClientHello; `sni` is its host_name, lower case, or undefined when it sends none. */
  | { sni: string | undefined }
  /** The bytes so far are a prefix of a ClientHello: read more. */
  | 'more'
  /** Not a TLS ClientHello (plaintext, another record, or malformed). */
  | 'not-tls';

/** A ClientHello larger than this is not waited for (TLS allows 2^24; real ones are a few KiB). */
export const MAX_CLIENT_HELLO = 64 * 1024;

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const SERVER_NAME = 0x0000;
const HOST_NAME = 0x00;

/**
 * The handshake bytes carried by the TLS records at the start of `buf`, concatenated (a ClientHello
 * may span records); 'more' while the first records are incomplete, 'not-tls' on anything else.
 */
function handshakeBytes(buf: Buffer, need: number): Buffer | 'more' | 'not-tls' {
  const parts: Buffer[] = [];
  let have = 0;
  let at = 0;
  while (have < need) {
    if (buf.length < at + 5) return 'more';
    if (buf[at] !== HANDSHAKE || buf[at + 1] !== 0x03) return 'not-tls';
    const len = buf.readUInt16BE(at + 3);
    if (len === 0) return 'not-tls';
    if (buf.length < at + 5 + len) {
      // The record is incomplete; enough may already be there to read the handshake header.
      parts.push(buf.subarray(at + 5));
      have += buf.length - at - 5;
      return have >= need ? Buffer.concat(parts) : 'more';
    }
    parts.push(buf.subarray(at + 5, at + 5 + len));
    have += len;
    at += 5 + len;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Reads a ClientHello's server name from the bytes received so far. */
export function readClientHello(buf: Buffer): ClientHello {
  if (buf.length === 0) return 'more';
  if (buf[0] !== HANDSHAKE) return 'not-tls';
  const header = handshakeBytes(buf, 4);
  if (typeof header === 'string') return header;
  if (header[0] !== CLIENT_HELLO) return 'not-tls';
  const bodyLength = header.readUIntBE(1, 3);
  if (bodyLength + 4 > MAX_CLIENT_HELLO) return 'not-tls';
  const hs = handshakeBytes(buf, bodyLength + 4);
  if (typeof hs === 'string') return hs;
  return serverName(hs.subarray(4, 4 + bodyLength));
}

/** The host_name of a ClientHello body; 'not-tls' when it is malformed. */
function serverName(b: Buffer): ClientHello {
  let at = 2 + 32; // client_version, random
  if (b.length < at + 1) return 'not-tls';
  at += 1 + b[at]!; // session_id
  if (b.length < at + 2) return 'not-tls';
  at += 2 + b.readUInt16BE(at); // cipher_suites
  if (b.length < at + 1) return 'not-tls';
  at += 1 + b[at]!; // compression_methods
  if (b.length === at) return { sni: undefined }; // no extensions (TLS 1.0 style)
  if (b.length < at + 2) return 'not-tls';
  const end = at + 2 + b.readUInt16BE(at);
  if (end > b.length) return 'not-tls';
  at += 2;
  while (at + 4 <= end) {
    const type = b.readUInt16BE(at);
    const len = b.readUInt16BE(at + 2);
    at += 4;
    if (at + len > end) return 'not-tls';
    if (type === SERVER_NAME) return hostName(b.subarray(at, at + len));
    at += len;
  }
  return at === end ? { sni: undefined } : 'not-tls';
}

/** The host_name entry of a server_name extension (RFC 6066 §3). */
function hostName(ext: Buffer): ClientHello {
  if (ext.length < 2) return 'not-tls';
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  let at = 2;
  while (at + 3 <= end) {
    const type = ext[at]!;
    const len = ext.readUInt16BE(at + 1);
    at += 3;
    if (at + len > end) return 'not-tls';
    if (type === HOST_NAME) return { sni: ext.toString('latin1', at, at + len).toLowerCase() };
    at += len;
  }
  return { sni: undefined };
}

/**
 * Whether a server name matches one of a TLS match's `sniHosts` (Envoy's server_names): equal, or
 * under a wildcard prefix (`*.example.com` matches `a.example.com` and `a.b.example.com`); `*` alone
 * matches any name. Case-insensitive (both sides are lower case here).
 */
export function sniMatches(sni: string, hosts: readonly string[]): boolean {
  for (const h of hosts) {
    if (h === sni || h === '*') return true;
    if (h.startsWith('*.') && sni.length > h.length - 1 && sni.endsWith(h.slice(1))) return true;
  }
  return false;
}
