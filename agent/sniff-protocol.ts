import { METHODS } from 'node:http';

/** What the first bytes of a connection look like. */
export type SniffResult = 'http' | 'h2' | 'tcp' | 'more';

/** The HTTP/2 connection preface a client with prior knowledge (h2c, gRPC) starts with. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

// HTTP/2 prior knowledge starts with "PRI * HTTP/2.0": not for the HTTP/1.1 server.
const PREFIXES = METHODS.filter((m) => m !== 'PRI').map((m) => Buffer.from(`${m} `, 'latin1'));
const LONGEST = Math.max(...PREFIXES.map((p) => p.length));

/**
 * Classifies a connection from the bytes received so far (pure): `http` when they start with an
 * HTTP/1.x method token and a space, `h2` when they start with the HTTP/2 preface, `tcp` when they
 * cannot be either, `more` when they are still a prefix of one.
 */
export function sniffProtocol(head: Buffer): SniffResult {
  if (head.length === 0) return 'more';
  const n = Math.min(head.length, PREFACE.length);
  if (head.compare(PREFACE, 0, n, 0, n) === 0) return head.length >= PREFACE.length ? 'h2' : 'more';
  let prefixOfSome = false;
  for (const p of PREFIXES) {
    const n = Math.min(p.length, head.length);
    if (head.compare(p, 0, n, 0, n) !== 0) continue;
    if (head.length >= p.length) return 'http';
    prefixOfSome = true;
  }
  return prefixOfSome && head.length < LONGEST ? 'more' : 'tcp';
}
