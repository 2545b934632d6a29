/**
 * Istio's string matching for AuthorizationPolicy fields (pure), compiled once per snapshot:
 *   "abc"  exact;  "abc*"  prefix;  "*abc"  suffix;  "*"  presence (any non-empty value).
 * A missing value never matches. Several patterns are ORed.
 */

/** Matches one value (undefined: the attribute is absent). */
export type ValueMatcher = (value: string | undefined) => boolean;

export const NEVER: ValueMatcher = () => false;

/** One Istio string pattern; `lower` compares case-insensitively (hosts). */
export function compileStringPattern(pattern: string, lower = false): ValueMatcher {
  const p = lower ? pattern.toLowerCase() : pattern;
  const norm = lower ? (v: string) => v.toLowerCase() : (v: string) => v;
  if (p === '*') return (v) => v !== undefined && v !== '';
  if (p.endsWith('*')) {
    const prefix = p.slice(0, -1);
    return (v) => v !== undefined && norm(v).startsWith(prefix);
  }
  if (p.startsWith('*')) {
    const suffix = p.slice(1);
    return (v) => v !== undefined && norm(v).endsWith(suffix);
  }
  return (v) => v !== undefined && norm(v) === p;
}

/** Any of the matchers (an empty list matches nothing). */
export function anyOf(matchers: readonly ValueMatcher[]): ValueMatcher {
  if (matchers.length === 0) return NEVER;
  if (matchers.length === 1) return matchers[0]!;
  return (v) => {
    for (const m of matchers) if (m(v)) return true;
    return false;
  };
}

/** Any of the patterns. */
export function compileStringMatch(patterns: readonly string[], lower = false): ValueMatcher {
  return anyOf(patterns.map((p) => compileStringPattern(p, lower)));
}
