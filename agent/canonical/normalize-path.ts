/**
 * The canonical request path (pure), computed once before routing, authorization and rate limiting,
 * and forwarded upstream in that same form (docs/security.md has the table against Istio).
 *
 * Modes are Istio's `meshConfig.pathNormalization` options; dockmesh's default is MERGE_SLASHES
 * (Istio's default is BASE; merging slashes is Istio's documented mitigation of CVE-2021-31920).
 * In every mode, in Istio's order:
 *   0. reject: `#` (a fragment: Envoy rejects it since 1.19.1), `%00`, control characters, a malformed
 *      `%` escape, a path not starting with `/`. The query (after the first `?`) is kept verbatim and
 *      is not part of `path`, which is what AuthorizationPolicy compares.
 *   1. DECODE_AND_MERGE_SLASHES only: `%2F` → `/`, `%5C` → `\`.
 *   2. BASE (RFC 3986 as Envoy's normalize_path does it): percent-decode unreserved characters
 *      (ALPHA, DIGIT, `-`, `.`, `_`, `~`), upper-case the hex of other escapes, `\` → `/`, resolve `.`
 *      and `..` segments. `%2F` and `%5C` stay encoded (so `/a%2F..%2Fb` is one segment); `;` is an
 *      ordinary character (no path parameters are stripped).
 *   3. MERGE_SLASHES and DECODE_AND_MERGE_SLASHES: `//…` → `/`.
 * Bytes above 0x7E (Node hands the request target over as latin1) are percent-encoded.
 */

export type PathNormalization = 'BASE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES';

export const DEFAULT_PATH_NORMALIZATION: PathNormalization = 'MERGE_SLASHES';

export interface CanonicalPath {
  /** Normalized path without the query: what routes and policies match. */
  path: string;
  /** The query without `?` ('' when none), verbatim. */
  query: string;
  /** What to forward upstream: `path` + `?query`. */
  target: string;
  /** Set when the request must be refused with 400 (then the other fields are empty). */
  reject?: string;
}

const HEX = /^[0-9A-Fa-f]{2}$/;

function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e
  );
}

function rejected(reason: string): CanonicalPath {
  return { path: '', query: '', target: '', reject: reason };
}

/** RFC 3986 5.2.4 remove_dot_segments. */
export function removeDotSegments(path: string): string {
  const input = path.split('/');
  const out: string[] = [];
  // input[0] is '' (the path starts with '/').
  for (let i = 1; i < input.length; i++) {
    const seg = input[i]!;
    const last = i === input.length - 1;
    if (seg === '.') {
      if (last) out.push('');
    } else if (seg === '..') {
      out.pop();
      if (last) out.push('');
    } else {
      out.push(seg);
    }
  }
  return '/' + out.join('/');
}

/**
 * Whether normalizing `rawPath` would leave it unchanged: no `%`, `\\`, byte above 0x7E, `.` or `..`
 * segment, nor (unless `BASE`) a repeated slash. Most paths are like this; they skip the rebuild.
 */
function alreadyNormal(rawPath: string, mode: PathNormalization): boolean {
  const n = rawPath.length;
  for (let i = 0; i < n; i++) {
    const c = rawPath.charCodeAt(i);
    if (c === 0x25 || c === 0x5c || c > 0x7e) return false;
    if (c !== 0x2f) continue;
    const next = i + 1 < n ? rawPath.charCodeAt(i + 1) : -1;
    if (next === 0x2f && mode !== 'BASE') return false;
    if (next === 0x2e) {
      // `/.` then `/` or the end, or `/..` then `/` or the end: a dot segment.
      const after = i + 2 < n ? rawPath.charCodeAt(i + 2) : 0x2f;
      if (after === 0x2f) return false;
      if (after === 0x2e && (i + 3 >= n || rawPath.charCodeAt(i + 3) === 0x2f)) return false;
    }
  }
  return true;
}

/** `shortcut: false` always rebuilds the path (tests compare both ways). */
export function normalizePath(rawTarget: string, mode: PathNormalization = DEFAULT_PATH_NORMALIZATION, shortcut = true): CanonicalPath {
  if (rawTarget.includes('#')) return rejected('fragment (#) in the request target');
  const q = rawTarget.indexOf('?');
  const rawPath = q >= 0 ? rawTarget.slice(0, q) : rawTarget;
  const query = q >= 0 ? rawTarget.slice(q + 1) : '';
  if (!rawPath.startsWith('/')) return rejected('request target is not an absolute path');
  for (let i = 0; i < rawTarget.length; i++) {
    const c = rawTarget.charCodeAt(i);
    if (c < 0x21 || c === 0x7f) return rejected(c === 0 ? 'NUL in the request target' : 'control character or space in the request target');
  }

  if (shortcut && alreadyNormal(rawPath, mode)) return { path: rawPath, query, target: rawTarget };
  let p = '';
  for (let i = 0; i < rawPath.length; i++) {
    const ch = rawPath[i]!;
    const code = rawPath.charCodeAt(i);
    if (ch === '%') {
      const hex = rawPath.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return rejected('malformed percent-encoding in the path');
      const byte = parseInt(hex, 16);
      if (byte === 0) return rejected('%00 in the path');
      i += 2;
      if (mode === 'DECODE_AND_MERGE_SLASHES' && (byte === 0x2f || byte === 0x5c)) p += byte === 0x2f ? '/' : '\\';
      else if (isUnreserved(byte)) p += String.fromCharCode(byte);
      else p += '%' + hex.toUpperCase();
    } else if (code > 0x7e) {
      p += '%' + (code & 0xff).toString(16).toUpperCase().padStart(2, '0');
    } else {
      p += ch;
    }
  }
  p = p.replaceAll('\\', '/');
  p = removeDotSegments(p);
  if (mode !== 'BASE') p = p.replace(/\/{2,}/g, '/');
  return { path: p, query, target: query || q >= 0 ? `${p}?${query}` : p };
}
