import { METHODS } from 'node:http';

/** What the first bytes of a connection look like. */
export type SniffResult = 'http' | 'tcp' | 'more';

// HTTP/2 prior knowledge starts with "PRI * HTTP/2.0": not for the HTTP/1.1 server.
const PREFIXES = METHODS.filter((m) => m !== 'PRI').map((m) => Buffer.from(`${m} `, 'latin1'));
const LONGEST = Math.max(...PREFIXES.map((p) => p.length));

/**
 * Classifies a connection from the bytes received so far (pure): `http` when they start with an
 * HTTP/1.x method token and a space, `tcp` when they cannot, `more` when they are still a prefix of one.
 */
export function sniffProtocol(head: Buffer): SniffResult {
  if (head.length === 0) return 'more';
  let prefixOfSome = false;
  for (const p of PREFIXES) {
    const n = Math.min(p.length, head.length);
    if (head.compare(p, 0, n, 0, n) !== 0) continue;
    if (head.length >= p.length) return 'http';
    prefixOfSome = true;
  }
  return prefixOfSome && head.length < LONGEST ? 'more' : 'tcp';
}
