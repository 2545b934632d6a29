import type { HttpMatchSnapshot, PresenceOrStringMatch } from '../../wire/types.ts';
import type { RequestFacts } from './request-facts.ts';
import { compileStringMatch, type StringMatcher } from './string-matcher.ts';

/** One compiled HTTPMatchRequest: all its set fields must match (AND). */
export type MatchPredicate = (req: RequestFacts) => boolean;

type ValueOf = (req: RequestFacts) => string | undefined;

function presenceOrMatch(m: PresenceOrStringMatch, onError: (r: string) => void): StringMatcher {
  return 'present' in m ? () => true : compileStringMatch(m, false, onError);
}

/** True when every label of `want` is on `have` with the same value (pure). */
export function labelsInclude(have: Readonly<Record<string, string>>, want: Readonly<Record<string, string>> | undefined): boolean {
  if (!want) return true;
  for (const k in want) if (have[k] !== want[k]) return false;
  return true;
}

/** The agent's own workload, as source matches see it. */
export interface MatchSelf {
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
}

/** Whether a match block's source conditions (`sourceLabels`, `sourceNamespace`) hold for this agent's workload. */
export function sourceApplies(self: MatchSelf, m: { sourceLabels?: Readonly<Record<string, string>>; sourceNamespace?: string }): boolean {
  return labelsInclude(self.labels, m.sourceLabels) && (m.sourceNamespace === undefined || m.sourceNamespace === self.namespace);
}

/**
 * Compiles one HTTPMatchRequest (at snapshot time). Returns null when the block can never apply to
 * this agent: its `sourceLabels` are not all among the agent's own workload labels, or its
 * `sourceNamespace` is not the agent's namespace (Istio applies such a route only on the proxies
 * of matching workloads, so the rule is dropped here rather than checked per request).
 *
 * Semantics (Istio's HTTPMatchRequest, Envoy's route match):
 * - `uri`: exact and regex compare the path without the query string; prefix compares the start of
 *   the request target (Envoy's `prefix`). `ignoreUriCase` makes exact and prefix case-insensitive.
 * - `scheme`, `method`, `authority` (the Host header as sent, port included) compare the whole value.
 * - `headers`: each named header must be present and match; `{}` means present with any value.
 * - `withoutHeaders`: none of the listed conditions may hold (presence or match).
 * - `queryParams`: each named parameter must be present and its (percent-decoded) value match.
 * - `port`: the destination port of the request.
 */
export function compileHttpMatch(m: HttpMatchSnapshot, self: MatchSelf, onError: (reason: string) => void = () => {}): MatchPredicate | null {
  if (!sourceApplies(self, m)) return null;
  const checks: MatchPredicate[] = [];
  const value = (get: ValueOf, match: StringMatcher): MatchPredicate => (req) => {
    const v = get(req);
    return v !== undefined && match(v);
  };
  if (m.port !== undefined) {
    const port = m.port;
    checks.push((req) => req.port === port);
  }
  if (m.method) checks.push(value((r) => r.method, compileStringMatch(m.method, false, onError)));
  if (m.uri) {
    const match = compileStringMatch(m.uri, m.ignoreUriCase === true, onError);
    const whole = m.uri.prefix !== undefined;
    checks.push(whole ? (r) => match(r.target) : (r) => match(r.path));
  }
  if (m.scheme) checks.push(value((r) => r.scheme, compileStringMatch(m.scheme, false, onError)));
  if (m.authority) checks.push(value((r) => r.authority, compileStringMatch(m.authority, false, onError)));
  for (const [name, hm] of Object.entries(m.headers ?? {})) {
    const key = name.toLowerCase();
    checks.push(value((r) => r.header(key), presenceOrMatch(hm, onError)));
  }
  for (const [name, hm] of Object.entries(m.withoutHeaders ?? {})) {
    const key = name.toLowerCase();
    const match = presenceOrMatch(hm, onError);
    checks.push((r) => {
      const v = r.header(key);
      return v === undefined || !match(v);
    });
  }
  for (const [name, qm] of Object.entries(m.queryParams ?? {})) {
    checks.push(value((r) => r.queryParam(name), presenceOrMatch(qm, onError)));
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0]!;
  return (req) => {
    for (let i = 0; i < checks.length; i++) if (!checks[i]!(req)) return false;
    return true;
  };
}
