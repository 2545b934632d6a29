/**
 * The canonical request (pure), computed once per request before routing, authorization and rate
 * limiting: ambiguous requests refused, the target reduced to origin form and its path normalized
 * (what routes and policies match, and what is forwarded upstream), the host canonical.
 */
import { checkAmbiguity } from './check-ambiguity.ts';
import { DEFAULT_PATH_NORMALIZATION, normalizePath, type PathNormalization } from './normalize-path.ts';
import { normalizeHost } from './normalize-host.ts';

export interface CanonicalRequest {
  /** Normalized path and the query, verbatim: what is forwarded. */
  target: string;
  /** Normalized path without the query: what routes and AuthorizationPolicy `paths` match. */
  path: string;
  /** Lower case, no port, no trailing dot ('' without Host). */
  host: string;
  /** Set when the request must be answered 400 and its connection closed. */
  reject?: string;
}

const REJECTED: Omit<CanonicalRequest, 'reject'> = { target: '', path: '', host: '' };

/** `url` in origin form: an absolute-form target reduced to path and query (its authority was checked against Host). */
function originForm(url: string): string | null {
  if (url.startsWith('/')) return url;
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return null;
  }
}

export function canonicalRequest(
  rawHeaders: readonly string[],
  method: string,
  url: string,
  host: string | undefined,
  mode: PathNormalization = DEFAULT_PATH_NORMALIZATION,
): CanonicalRequest {
  const ambiguous = checkAmbiguity(rawHeaders, method, url);
  if (ambiguous.length > 0) return { ...REJECTED, reject: ambiguous.join(', ') };
  const target = originForm(url);
  if (target === null) return { ...REJECTED, reject: 'bad request target' };
  const p = normalizePath(target, mode);
  if (p.reject) return { ...REJECTED, reject: p.reject };
  return { target: p.target, path: p.path, host: host === undefined ? '' : normalizeHost(host) };
}
