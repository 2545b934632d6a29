/**
 * Walks a YAML node against the meshfile JSON Schema (the subset of draft-07 the CRDs use, plus
 * dockmesh's `x-dockmesh-*` annotations) and builds the plain value, reporting every problem with its
 * JSON path and position. Pure; never throws on user input.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { MeshfileCode } from './diagnostics.ts';
import { DURATION_PATTERN, parseDuration } from './duration.ts';
import { matches, oneOfMessage } from './one-of.ts';
import { childPath, indexPath, type Pos, type PositionIndex } from './position-index.ts';
import { suggest } from './suggest.ts';

/** The JSON Schema keywords the walker understands. */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  not?: JsonSchema;
  $ref?: string;
  description?: string;
  'x-dockmesh-duration'?: boolean;
  'x-dockmesh-duration-min-ms'?: number;
  'x-dockmesh-unsupported'?: string;
  definitions?: Record<string, JsonSchema>;
}

export { suggest };

export type Report = (code: MeshfileCode, path: string, pos: Pos, message: string) => void;

const INT32 = { min: -2147483648, max: 2147483647 };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  return `the string ${JSON.stringify(v)}`;
}

export class SchemaWalker {
  readonly #root: JsonSchema;
  readonly #doc: Document;
  readonly #lines: LineCounter;
  readonly #positions: PositionIndex;
  readonly #report: Report;

  constructor(root: JsonSchema, doc: Document, lines: LineCounter, positions: PositionIndex, report: Report) {
    this.#root = root;
    this.#doc = doc;
    this.#lines = lines;
    this.#positions = positions;
    this.#report = report;
  }

  /** Position of a node's start. */
  pos(node: Node | null | undefined, fallback: Pos): Pos {
    const offset = node?.range?.[0];
    if (offset === undefined) return fallback;
    const lp = this.#lines.linePos(offset);
    return { line: lp.line, column: lp.col };
  }

  #resolve(s: JsonSchema): JsonSchema {
    if (!s.$ref) return s;
    const name = s.$ref.replace('#/definitions/', '');
    const target = this.#root.definitions?.[name];
    if (!target) throw new Error(`schema: unresolved ${s.$ref}`);
    return target;
  }

  #deref(node: unknown): Node | null {
    let n = node as Node | null;
    for (let i = 0; n && isAlias(n) && i < 100; i++) n = (n.resolve(this.#doc) ?? null) as Node | null;
    return n;
  }

  /** Validates `node` against `schema` at `path`; returns the plain value, or undefined if invalid. */
  walk(rawNode: unknown, schema: JsonSchema, path: string, at: Pos): unknown {
    const s = this.#resolve(schema);
    const node = this.#deref(rawNode);
    const pos = this.pos(node, at);
    this.#positions.setValue(path, pos);
    if (isMap(node)) return this.#object(node, s, path, pos);
    if (isSeq(node)) return this.#array(node, s, path, pos);
    const value = isScalar(node) ? node.value : node === null ? null : undefined;
    return this.#scalar(value, s, path, pos);
  }

  #wrongType(path: string, pos: Pos, expected: string, value: unknown): undefined {
    this.#report('MESH_ERR_WRONG_TYPE', path, pos, `expected ${expected}, got ${typeName(value)}`);
    return undefined;
  }

  #expects(s: JsonSchema): string | undefined {
    if (s.type) return s.type;
    if (s.properties || s.additionalProperties) return 'object';
    if (s.items) return 'array';
    return undefined;
  }

  #object(node: import('yaml').YAMLMap, s: JsonSchema, path: string, pos: Pos): unknown {
    const expected = this.#expects(s);
    if (expected !== 'object' && expected !== undefined) return this.#wrongType(path, pos, `${expected === 'array' ? 'a list' : `a ${expected}`}`, {});
    const entries: Array<[string, unknown]> = [];
    let ok = true;
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const keyNode = this.#deref(item.key);
      const keyPos = this.pos(keyNode, pos);
      const rawKey = isScalar(keyNode) ? keyNode.value : undefined;
      if (rawKey === undefined || rawKey === null || typeof rawKey === 'object') {
        this.#report('MESH_ERR_WRONG_TYPE', path, keyPos, 'a mapping key must be a plain string');
        ok = false;
        continue;
      }
      const key = String(rawKey);
      const child = childPath(path, key);
      this.#positions.setKey(child, keyPos);
      let sub = s.properties?.[key];
      if (!sub && typeof s.additionalProperties === 'object') sub = s.additionalProperties;
      if (!sub) {
        const hint = s.properties ? suggest(key, Object.keys(s.properties)) : undefined;
        const known = s.properties ? Object.keys(s.properties) : [];
        this.#report(
          'MESH_ERR_UNKNOWN_FIELD',
          child,
          keyPos,
          `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : known.length <= 8 && known.length ? ` (known: ${known.join(', ')})` : ''}`,
        );
        ok = false;
        continue;
      }
      const subR = this.#resolve(sub);
      if (subR['x-dockmesh-unsupported'] !== undefined) {
        this.#report('MESH_WARN_UNSUPPORTED_FIELD', child, keyPos, `field "${key}" is not acted on by dockmesh yet: ${subR['x-dockmesh-unsupported']}`);
      }
      const value = this.walk(item.value, subR, child, keyPos);
      if (value === undefined) ok = false;
      else entries.push([key, value]);
    }
    const out = Object.fromEntries(entries) as Record<string, unknown>;
    for (const req of s.required ?? []) {
      if (out[req] === undefined && !node.items.some((p) => isPair(p) && isScalar(this.#deref(p.key)) && String((this.#deref(p.key) as { value: unknown }).value) === req)) {
        this.#report('MESH_ERR_MISSING_FIELD', childPath(path, req), pos, `missing required field "${req}"`);
        ok = false;
      }
    }
    if (ok && s.oneOf && s.oneOf.filter((b) => matches(out, b)).length !== 1) {
      this.#report('MESH_ERR_ONE_OF', path, pos, oneOfMessage(s.oneOf));
      ok = false;
    }
    return ok ? out : undefined;
  }

  #array(node: import('yaml').YAMLSeq, s: JsonSchema, path: string, pos: Pos): unknown {
    const expected = this.#expects(s);
    if (expected !== 'array') return this.#wrongType(path, pos, expected === 'object' ? 'a mapping' : `a ${expected ?? 'scalar'}`, []);
    if (s.maxItems !== undefined && node.items.length > s.maxItems) {
      this.#report('MESH_ERR_OUT_OF_RANGE', path, pos, `at most ${s.maxItems} items allowed, got ${node.items.length}`);
    }
    const out: unknown[] = [];
    let ok = true;
    node.items.forEach((item, i) => {
      const v = this.walk(item, s.items ?? {}, indexPath(path, i), pos);
      if (v === undefined) ok = false;
      else out.push(v);
    });
    return ok ? out : undefined;
  }

  #scalar(value: unknown, s: JsonSchema, path: string, pos: Pos): unknown {
    if (s.anyOf && !s.type) {
      if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'string') return value;
      return this.#wrongType(path, pos, 'an integer or a string', value);
    }
    const expected = this.#expects(s);
    switch (expected) {
      case 'object':
        return this.#wrongType(path, pos, 'a mapping', value);
      case 'array':
        return this.#wrongType(path, pos, 'a list', value);
      case 'boolean':
        return typeof value === 'boolean' ? value : this.#wrongType(path, pos, 'true or false', value);
      case 'integer':
      case 'number':
        return this.#number(value, s, expected, path, pos);
      case 'string':
        return this.#string(value, s, path, pos);
      default:
        return value ?? undefined;
    }
  }

  #number(value: unknown, s: JsonSchema, expected: 'integer' | 'number', path: string, pos: Pos): unknown {
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.#wrongType(path, pos, `a${expected === 'integer' ? 'n integer' : ' number'}`, value);
    if (expected === 'integer' && !Number.isInteger(value)) return this.#wrongType(path, pos, 'an integer', value);
    let min = s.minimum;
    let max = s.maximum;
    if (s.format === 'int32') [min, max] = [Math.max(min ?? INT32.min, INT32.min), Math.min(max ?? INT32.max, INT32.max)];
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      const range = min !== undefined && max !== undefined ? `between ${min} and ${max}` : min !== undefined ? `at least ${min}` : `at most ${max}`;
      this.#report('MESH_ERR_OUT_OF_RANGE', path, pos, `must be ${range}, got ${value}`);
      return undefined;
    }
    if (s.enum && !s.enum.includes(value)) {
      this.#report('MESH_ERR_BAD_ENUM', path, pos, `must be one of ${s.enum.join(', ')}, got ${value}`);
      return undefined;
    }
    return value;
  }

  #string(value: unknown, s: JsonSchema, path: string, pos: Pos): unknown {
    if (s['x-dockmesh-duration']) {
      if (typeof value !== 'string') {
        this.#report('MESH_ERR_BAD_DURATION', path, pos, `expected a duration string like "5s", "1.5s" or "100ms", got ${typeName(value)}`);
        return undefined;
      }
      const ms = parseDuration(value);
      if (ms === undefined) {
        this.#report('MESH_ERR_BAD_DURATION', path, pos, `"${value}" is not a duration: write a number with a unit (h, m, s, ms), e.g. "5s", "1.5s", "100ms"`);
        return undefined;
      }
      const minMs = s['x-dockmesh-duration-min-ms'];
      if (minMs !== undefined && ms < minMs) {
        this.#report('MESH_ERR_BAD_DURATION', path, pos, `"${value}" is too short: must be at least ${minMs}ms`);
        return undefined;
      }
    }
    if (typeof value !== 'string') return this.#wrongType(path, pos, 'a string (quote it)', value);
    if (s.enum && !s.enum.includes(value)) {
      const hint = suggest(value, s.enum.map(String));
      this.#report('MESH_ERR_BAD_ENUM', path, pos, `must be one of ${s.enum.map((e) => (e === '' ? '""' : e)).join(', ')}, got "${value}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
      return undefined;
    }
    if (s.minLength !== undefined && value.length < s.minLength) return this.#badValue(path, pos, `must be at least ${s.minLength} characters long`);
    if (s.maxLength !== undefined && value.length > s.maxLength) return this.#badValue(path, pos, `must be at most ${s.maxLength} characters long`);
    if (s.pattern && s.pattern !== DURATION_PATTERN && !new RegExp(s.pattern, 'u').test(value)) {
      if (s['x-dockmesh-duration']) {
        this.#report('MESH_ERR_BAD_DURATION', path, pos, `"${value}" is not accepted here: the schema requires ${s.pattern} (e.g. "30s", "1m")`);
        return undefined;
      }
      return this.#badValue(path, pos, `"${value}" does not match the pattern ${s.pattern}`);
    }
    if (s.format === 'byte' && !BASE64.test(value)) return this.#badValue(path, pos, 'must be base64');
    if ((s.format === 'url' || s.format === 'uri') && !URL.canParse(value)) return this.#badValue(path, pos, `"${value}" is not a URL`);
    return value;
  }

  #badValue(path: string, pos: Pos, message: string): undefined {
    this.#report('MESH_ERR_BAD_VALUE', path, pos, message);
    return undefined;
  }
}
