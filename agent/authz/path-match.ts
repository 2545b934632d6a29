/**
 * Matching of `paths` / `notPaths` values against the canonical path (pure). A value with a `{*}` or
 * `{**}` operator is an Envoy URI template (as Istio documents it); anything else is an Istio string
 * pattern (exact, `prefix*`, `*suffix`, `*`). Templates become one anchored RegExp at snapshot time.
 *
 *   {*}   one or more pchars, not `/`: exactly one non-empty segment
 *   {**}  zero or more pchars or `/`; must be the last operator
 * pchar (Envoy's kLiteral): A-Z a-z 0-9 - . _ ~ % ! $ & ' ( ) + , ; : @ =
 */
import { compileStringPattern, type ValueMatcher } from './string-match.ts';

const PCHAR = "A-Za-z0-9\\-._~%!$&'()+,;:@=";
const ONE_SEGMENT = `[${PCHAR}]+`;
const ANY_SEGMENTS = `[${PCHAR}/]*`;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** True when the value is a URI template (contains `{*}` or `{**}`). */
export function isPathTemplate(value: string): boolean {
  return value.includes('{*}') || value.includes('{**}');
}

/**
 * Validates a template as Istio does: no `*`, `{` or `}` outside an operator, nothing else in an
 * operator's segment, `{**}` last. Returns the problem, or undefined.
 */
export function pathTemplateProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return 'a path template must start with /';
  const segments = value.slice(1).split('/');
  let sawTextGlob = false;
  for (const seg of segments) {
    const op = seg === '{*}' || seg === '{**}';
    if (sawTextGlob && (op || seg.includes('{'))) return '{**} must be the last operator';
    if (!op && /[*{}]/.test(seg)) return `segment ${JSON.stringify(seg)}: *, { and } are only allowed as {*} or {**} alone in a segment`;
    if (seg === '{**}') sawTextGlob = true;
  }
  return undefined;
}

/** A matcher for one `paths` value; throws on an invalid template. */
export function compilePathPattern(value: string): ValueMatcher {
  if (!isPathTemplate(value)) return compileStringPattern(value);
  const problem = pathTemplateProblem(value);
  if (problem) throw new Error(`invalid path template ${JSON.stringify(value)}: ${problem}`);
  const source = value
    .split('/')
    .map((seg) => (seg === '{*}' ? ONE_SEGMENT : seg === '{**}' ? ANY_SEGMENTS : escapeRegex(seg)))
    .join('/');
  const re = new RegExp(`^${source}$`);
  return (v) => v !== undefined && re.test(v);
}
