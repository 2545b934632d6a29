/**
 * JSON Schema `oneOf` as the CRDs use it: Kubernetes' "at most one of" idiom (a `not: {anyOf}` branch)
 * and Flagger's "exactly one of" groups, evaluated on plain values.
 */
import type { JsonSchema } from './schema-walker.ts';

/** Does a plain value satisfy a (structural) sub-schema? Used for oneOf branches only. */
export function matches(value: unknown, s: JsonSchema): boolean {
  if (s.not && matches(value, s.not)) return false;
  if (s.anyOf && !s.anyOf.some((b) => matches(value, b))) return false;
  if (s.oneOf && s.oneOf.filter((b) => matches(value, b)).length !== 1) return false;
  if (s.required || s.properties) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const obj = value as Record<string, unknown>;
    if (s.required?.some((k) => obj[k] === undefined)) return false;
    for (const [k, sub] of Object.entries(s.properties ?? {})) {
      if (obj[k] !== undefined && !matches(obj[k], sub)) return false;
    }
  }
  if (s.type === 'integer' && !Number.isInteger(value)) return false;
  if (s.type === 'string' && typeof value !== 'string') return false;
  return true;
}

export function oneOfMessage(branches: JsonSchema[]): string {
  // Kubernetes' "at most one" idiom: one branch is `not: {anyOf: [...]}` with no `required`.
  const atMostOne = branches.some((b) => b.not && !b.required);
  const groups = branches.filter((b) => b.required).map((b) => b.required!);
  const common = groups.length ? groups.reduce((acc, g) => acc.filter((k) => g.includes(k))) : [];
  const choices = groups.map((g) => g.filter((k) => !common.includes(k)).join(' + ') || '(none)');
  return `${atMostOne ? 'set at most one of' : 'set exactly one of'} ${choices.join(', ')}${common.length ? ` (each with ${common.join(', ')})` : ''}`;
}
