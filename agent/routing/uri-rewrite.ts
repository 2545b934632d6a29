import type { HttpRouteSnapshot, HttpMatchSnapshot } from '../../wire/types.ts';

/** Rewrites a request target (path and query) for the upstream. */
export type UriRewriter = (target: string, matched: HttpMatchSnapshot | undefined) => string;

/**
 * Compiles a route's `rewrite.uri` / `rewrite.uriRegexRewrite` (at snapshot time). Istio's semantics:
 * - `uri` with a match block on a `prefix`: the matched prefix is replaced (Envoy `prefix_rewrite`),
 *   the rest of the path and the query stay;
 * - `uri` when the match was `exact`, `regex`, or there was no uri match: the whole path is replaced
 *   (Envoy's `regex_rewrite` on `^/.*$` as Istio emits it), the query string stays;
 * - `uriRegexRewrite`: every match of the regex in the path is replaced (RE2's GlobalReplace, `$1`
 *   for groups), the query string stays.
 * Returns undefined when the route rewrites nothing.
 */
export function compileUriRewrite(rewrite: HttpRouteSnapshot['rewrite']): UriRewriter | undefined {
  if (!rewrite) return undefined;
  if (rewrite.uriRegexRewrite) {
    let re: RegExp;
    try {
      re = new RegExp(rewrite.uriRegexRewrite.match, 'g');
    } catch {
      return undefined;
    }
    const replacement = rewrite.uriRegexRewrite.rewrite;
    return (target) => {
      const { path, query } = split(target);
      re.lastIndex = 0;
      return path.replace(re, replacement) + query;
    };
  }
  if (rewrite.uri === undefined) return undefined;
  const uri = rewrite.uri;
  return (target, matched) => {
    const prefix = matched?.uri?.prefix;
    if (prefix !== undefined) {
      const n = matched?.ignoreUriCase ? prefixLength(target, prefix) : prefix.length;
      const rest = target.slice(n);
      const out = uri + rest;
      return out.startsWith('/') || out.startsWith('?') ? out : `/${out}`;
    }
    const { query } = split(target);
    return uri + query;
  };
}

function prefixLength(target: string, prefix: string): number {
  return target.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase() ? prefix.length : 0;
}

function split(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q) };
}

/**
 * The path of a redirect with `prefixRewrite`: Envoy's RedirectAction `prefix_rewrite` on the route
 * match Istio emits for the block that matched. A `prefix` match: that prefix is replaced (case-
 * insensitively with `ignoreUriCase`); an `exact` (Envoy `path`) or `regex` match: the whole path;
 * no uri match (Istio's catch-all prefix `/`): the leading `/`. The query string stays.
 */
export function prefixRedirectPath(target: string, matched: HttpMatchSnapshot | undefined, value: string): string {
  const { path, query } = split(target);
  const uri = matched?.uri;
  let out: string;
  if (uri?.prefix !== undefined) out = value + path.slice(matched?.ignoreUriCase ? prefixLength(path, uri.prefix) : uri.prefix.length);
  else if (uri?.exact !== undefined || uri?.regex !== undefined) out = value;
  else out = value + path.slice(1);
  return (out.startsWith('/') ? out : `/${out}`) + query;
}
