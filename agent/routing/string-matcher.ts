import type { StringMatchSnapshot } from '../../wire/types.ts';

/** A compiled Istio StringMatch: a predicate over one value. */
export type StringMatcher = (value: string) => boolean;

const always: StringMatcher = () => true;
const never: StringMatcher = () => false;

/**
 * Compiles a StringMatch once (at snapshot time). `exact` and `prefix` compare strings; `regex` is
 * anchored (full match) as Envoy's RE2 `safe_regex` is, and compiled here, never per request.
 * `ignoreCase` applies to `exact` and `prefix` only (Istio's `ignoreUriCase` leaves regexes alone).
 * A StringMatch with no field set matches every value. A regex that does not compile never matches;
 * `onError` hears about it (the control server validates regexes, so this is a defence only).
 */
export function compileStringMatch(m: StringMatchSnapshot, ignoreCase = false, onError?: (reason: string) => void): StringMatcher {
  if (m.exact !== undefined) {
    const want = m.exact;
    if (!ignoreCase) return (v) => v === want;
    const lower = want.toLowerCase();
    return (v) => v.length === lower.length && v.toLowerCase() === lower;
  }
  if (m.prefix !== undefined) {
    const want = m.prefix;
    if (want === '') return always;
    if (!ignoreCase) return (v) => v.startsWith(want);
    const lower = want.toLowerCase();
    const n = lower.length;
    return (v) => v.length >= n && v.slice(0, n).toLowerCase() === lower;
  }
  if (m.regex !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${m.regex})$`);
    } catch (err) {
      onError?.(`regex ${JSON.stringify(m.regex)}: ${(err as Error).message}`);
      return never;
    }
    return (v) => re.test(v);
  }
  return always;
}
