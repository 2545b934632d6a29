/**
 * Requests that two HTTP implementations could read differently (request smuggling, routing or
 * policy confusion) are refused with 400 and the connection closed (pure). Node's parser (llhttp,
 * strict mode) already refuses several of these before a request object exists; this check is the
 * second layer for what reaches `request` (test/integration/identity/ambiguity.test.ts shows which
 * layer refuses what; docs/security.md lists it).
 *
 * Input: `req.rawHeaders` (names and values as received, alternating), `req.method`, `req.url`.
 */
import { hostPort, normalizeHost } from '../normalize-host.ts';

export type AmbiguityReason =
  | 'content-length with transfer-encoding'
  | 'duplicate content-length'
  | 'invalid content-length'
  | 'duplicate host'
  | 'duplicate transfer-encoding'
  | 'transfer-encoding not ending in chunked'
  | 'obs-fold or bare CR/LF in a header'
  | 'NUL in the request'
  | 'method not in upper case'
  | 'absolute-form target disagrees with Host'
  | 'invalid absolute-form target';

const NUL_CR_LF = /[\0\r\n]/;

/** Returns every reason to refuse the request (empty: unambiguous). */
export function checkAmbiguity(rawHeaders: readonly string[], method: string, url: string): AmbiguityReason[] {
  const reasons = new Set<AmbiguityReason>();
  let contentLength = 0;
  let transferEncoding = 0;
  let hostCount = 0;
  let host: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    if (NUL_CR_LF.test(raw) || NUL_CR_LF.test(value)) {
      if (raw.includes('\0') || value.includes('\0')) reasons.add('NUL in the request');
      if (/[\r\n]/.test(raw) || /[\r\n]/.test(value)) reasons.add('obs-fold or bare CR/LF in a header');
    }
    // Only three names matter below; other lengths need no lower-casing.
    const n = raw.length;
    if (n !== 14 && n !== 17 && n !== 4) continue;
    const name = raw.toLowerCase();
    if (name === 'content-length') {
      contentLength++;
      // "5, 5" is a duplicate folded into one line; anything but digits is invalid.
      if (value.includes(',')) reasons.add('duplicate content-length');
      else if (!/^\s*\d+\s*$/.test(value)) reasons.add('invalid content-length');
    } else if (name === 'transfer-encoding') {
      transferEncoding++;
      // RFC 9112 6.3: a request whose last transfer coding is not chunked has no knowable length.
      if (value.split(',').at(-1)!.trim().toLowerCase() !== 'chunked') reasons.add('transfer-encoding not ending in chunked');
    } else if (name === 'host') {
      hostCount++;
      host ??= value;
    }
  }
  if (contentLength > 1) reasons.add('duplicate content-length');
  if (contentLength > 0 && transferEncoding > 0) reasons.add('content-length with transfer-encoding');
  if (transferEncoding > 1) reasons.add('duplicate transfer-encoding');
  if (hostCount > 1) reasons.add('duplicate host');
  if (method.includes('\0') || url.includes('\0')) reasons.add('NUL in the request');
  if (method !== method.toUpperCase()) reasons.add('method not in upper case');

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    let authority: string;
    let defaultPort: number;
    try {
      const u = new URL(url);
      if (u.username || u.password) throw new Error('userinfo');
      authority = u.host;
      defaultPort = u.protocol === 'https:' ? 443 : 80;
    } catch {
      reasons.add('invalid absolute-form target');
      return [...reasons];
    }
    if (host === undefined) {
      reasons.add('absolute-form target disagrees with Host');
    } else {
      const samePort = (hostPort(authority) ?? defaultPort) === (hostPort(host) ?? defaultPort);
      if (normalizeHost(authority) !== normalizeHost(host) || !samePort) reasons.add('absolute-form target disagrees with Host');
    }
  }
  return [...reasons];
}
