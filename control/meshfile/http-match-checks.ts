/**
 * Checks of Istio HTTPMatchRequests shared by VirtualService routes and Canary `service.match`:
 * regexes must be RE2 that JavaScript runs, header names lower case, ports in range. Also decides
 * whether a match list matches every request (a catch-all), for the shadowed-route warning.
 */
import type { DocReporter } from './doc-reporter.ts';
import { childPath, indexPath } from './position-index.ts';
import { re2ToJs } from './re2-regex.ts';
import type { HttpMatchRequestSpec, StringMatchSpec } from './virtual-service-spec.ts';

/** Reports a StringMatch whose regex is not usable. */
export function checkStringMatch(m: StringMatchSpec | undefined, path: string, r: DocReporter): void {
  if (m?.regex === undefined) return;
  const res = re2ToJs(m.regex);
  if (!res.ok) r.report('MESH_ERR_BAD_REGEX', childPath(path, 'regex'), `bad regex ${JSON.stringify(m.regex)}: ${res.reason}`);
}

/** Checks a regex given as a plain string (e.g. uriRegexRewrite.match). */
export function checkRegex(regex: string | undefined, path: string, r: DocReporter): void {
  if (regex === undefined) return;
  const res = re2ToJs(regex);
  if (!res.ok) r.report('MESH_ERR_BAD_REGEX', path, `bad regex ${JSON.stringify(regex)}: ${res.reason}`);
}

function checkHeaderMap(map: Readonly<Record<string, StringMatchSpec>> | undefined, path: string, r: DocReporter, header: boolean): void {
  for (const [name, m] of Object.entries(map ?? {})) {
    const p = childPath(path, name);
    if (header && name !== name.toLowerCase()) {
      r.report('MESH_ERR_BAD_HEADER_NAME', p, `header name "${name}" must be lower case (Istio matches lower-case names): write "${name.toLowerCase()}"`, 'key');
    }
    checkStringMatch(m, p, r);
  }
}

/** Checks every match request of a route. */
export function checkHttpMatches(matches: readonly HttpMatchRequestSpec[] | undefined, path: string, r: DocReporter): void {
  (matches ?? []).forEach((m, i) => {
    const p = indexPath(path, i);
    for (const f of ['uri', 'scheme', 'method', 'authority'] as const) checkStringMatch(m[f], childPath(p, f), r);
    checkHeaderMap(m.headers, childPath(p, 'headers'), r, true);
    checkHeaderMap(m.withoutHeaders, childPath(p, 'withoutHeaders'), r, true);
    checkHeaderMap(m.queryParams, childPath(p, 'queryParams'), r, false);
    for (const [name, q] of Object.entries(m.queryParams ?? {})) {
      if (q.prefix !== undefined) {
        r.report('MESH_WARN_UNSUPPORTED_VALUE', childPath(childPath(childPath(p, 'queryParams'), name), 'prefix'), 'Istio does not support prefix matching of query parameters; dockmesh follows Istio and this condition never matches');
      }
    }
    if (m.port !== undefined && (m.port < 1 || m.port > 65535)) {
      r.report('MESH_ERR_OUT_OF_RANGE', childPath(p, 'port'), `port must be between 1 and 65535, got ${m.port}`);
    }
  });
}

const MATCH_ALL_REGEX = new Set(['.*', '/.*', '^.*$', '.+', '/.+']);

function matchesEveryUri(m: StringMatchSpec | undefined): boolean {
  if (!m) return true;
  if (m.prefix !== undefined) return m.prefix === '' || m.prefix === '/';
  if (m.regex !== undefined) return MATCH_ALL_REGEX.has(m.regex);
  return m.exact === undefined;
}

/** True when one match request (or the absent match list) matches every request. */
export function isCatchAll(matches: readonly HttpMatchRequestSpec[] | undefined): boolean {
  if (!matches || matches.length === 0) return true;
  return matches.some((m) => {
    const restricting = [m.scheme, m.method, m.authority, m.port, m.sourceLabels, m.sourceNamespace, m.gateways];
    const maps = [m.headers, m.withoutHeaders, m.queryParams].some((x) => x && Object.keys(x).length > 0);
    return !maps && restricting.every((x) => x === undefined) && matchesEveryUri(m.uri);
  });
}
