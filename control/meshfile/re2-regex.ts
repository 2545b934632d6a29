/**
 * Istio's regexes are RE2 (Envoy's safe_regex); the agents run JavaScript's RegExp. A meshfile regex
 * must mean the same in both, so it must be valid RE2 *and* compile in JavaScript:
 * - RE2 has no lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`) and no backreferences (`\1`, `\k<n>`):
 *   Istio would reject them, so dockmesh does too.
 * - RE2's `(?P<name>...)` is rewritten to JavaScript's `(?<name>...)`.
 * - RE2's inline flags (`(?i)`, `(?s)`, ...), `\A`, `\z`, `\C`, `\Q...\E` and POSIX classes
 *   (`[[:alpha:]]`) have no JavaScript equivalent in Node 20 and are rejected with that reason.
 * Matching is anchored (full match), as in Envoy; the agents compile `^(?:<source>)$` with no flags.
 */

export type Re2Result = { ok: true; source: string } | { ok: false; reason: string };

const NOT_RE2: Array<[RegExp, string]> = [
  [/\(\?<?[=!]/, 'lookaround assertions are not RE2 syntax (Istio rejects them)'],
  [/\\[1-9]|\\k</, 'backreferences are not RE2 syntax (Istio rejects them)'],
];

const NOT_JS: Array<[RegExp, string]> = [
  [/\(\?[imsU-]+[:)]/, 'inline flags such as (?i) are RE2-only; dockmesh cannot run them in JavaScript'],
  [/\\[AzCQE]/, '\\A, \\z, \\C and \\Q...\\E are RE2-only; write ^ and $ instead'],
  [/\[\[:[a-z]+:\]\]|\[:[a-z]+:\]/, 'POSIX classes such as [[:alpha:]] are RE2-only; write [a-zA-Z] instead'],
];

/** Checks an RE2 regex and returns its JavaScript source (unanchored; the caller anchors it). */
export function re2ToJs(regex: string): Re2Result {
  for (const [re, reason] of NOT_RE2) if (re.test(regex)) return { ok: false, reason };
  for (const [re, reason] of NOT_JS) if (re.test(regex)) return { ok: false, reason };
  const source = regex.replace(/\(\?P</g, '(?<');
  try {
    new RegExp(`^(?:${source})$`);
  } catch (err) {
    return { ok: false, reason: (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') };
  }
  return { ok: true, source };
}
