/**
 * Istio Telemetry's access-log `filter.expression`: a subset of CEL (the Common Expression Language
 * Envoy evaluates), compiled once into a predicate over an access log line (pure). The control server
 * compiles it to check the meshfile; agents compile it again from their snapshot and run it on each
 * line they would write.
 *
 * Supported: literals (integers, doubles, 'strings' or "strings", true, false, null, lists
 * `[a, b]`), `!`, `-`, `== != < <= > >=`, `in` (a list), `&&`, `||`, `? :`, parentheses, and the
 * string methods startsWith, endsWith, contains and matches (a regex). Attributes, with Envoy's
 * names: request.method, request.path, request.url_path, request.id, response.code,
 * connection.mtls, connection.uri_san_peer_certificate (the mTLS peer's SPIFFE ID), upstream.address,
 * and source.principal (the same ID, under dockmesh's name).
 * (Envoy's response.flags is a bit mask: not offered rather than offered as something else.) Anything else is not supported: `unsupported` says what, and the caller decides.
 */
import type { AccessLogEntry } from './types.ts';

type Value = string | number | boolean | null | Value[];
type Node = (e: AccessLogEntry) => Value;

export type AccessLogFilter =
  | { ok: true; test: (e: AccessLogEntry) => boolean }
  | { ok: false; error: string; unsupported: boolean };

/** The attributes a filter can read, with what they read from a line. */
const ATTRIBUTES: Record<string, (e: AccessLogEntry) => Value> = {
  'request.method': (e) => e.method ?? '',
  'request.path': (e) => e.path ?? '',
  'request.url_path': (e) => {
    const p = e.path ?? '';
    const q = p.indexOf('?');
    return q < 0 ? p : p.slice(0, q);
  },
  'request.id': (e) => e.request_id ?? '',
  'response.code': (e) => e.status,
  'connection.mtls': (e) => e.source_principal !== undefined,
  'upstream.address': (e) => e.upstream ?? '',
  'connection.uri_san_peer_certificate': (e) => e.source_principal ?? '',
  'source.principal': (e) => e.source_principal ?? '',
};

const STRING_METHODS: Record<string, (s: string, arg: string) => boolean> = {
  startsWith: (s, a) => s.startsWith(a),
  endsWith: (s, a) => s.endsWith(a),
  contains: (s, a) => s.includes(a),
};

class FilterError extends Error {
  constructor(message: string, readonly unsupported = false) {
    super(message);
  }
}

type Token = { kind: 'num' | 'str' | 'id' | 'op'; text: string; value?: Value; at: number };

const OPS = ['||', '&&', '==', '!=', '<=', '>=', '<', '>', '!', '-', '(', ')', '[', ']', '.', ',', '?', ':'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^(?:0x[0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)u?/.exec(src.slice(i))!;
      out.push({ kind: 'num', text: m[0], value: Number(m[0].replace(/u$/, '')), at: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') {
          const n = src[j + 1];
          const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
          if (n === undefined || esc[n] === undefined) throw new FilterError(`unsupported escape at ${j + 1}`);
          s += esc[n];
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new FilterError(`unterminated string at ${i + 1}`);
      out.push({ kind: 'str', text: src.slice(i, j + 1), value: s, at: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: 'id', text: m[0], at: i });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new FilterError(`unexpected "${c}" at ${i + 1}`);
    out.push({ kind: 'op', text: op, at: i });
    i += op.length;
  }
  return out;
}

const truthy = (v: Value, what: string): boolean => {
  if (typeof v !== 'boolean') throw new FilterError(`${what} is not a bool`);
  return v;
};

function equal(a: Value, b: Value): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

function compare(op: string, a: Value, b: Value): boolean {
  if (op === '==') return equal(a, b);
  if (op === '!=') return !equal(a, b);
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) throw new FilterError(`cannot compare ${typeof a} with ${typeof b}`);
  const x = a as number | string;
  const y = b as number | string;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

class Parser {
  #i = 0;
  constructor(readonly toks: Token[]) {}

  #peek(): Token | undefined {
    return this.toks[this.#i];
  }
  #is(text: string): boolean {
    const t = this.#peek();
    return t !== undefined && t.kind === 'op' && t.text === text;
  }
  #take(text: string): void {
    if (!this.#is(text)) throw new FilterError(`expected "${text}" at ${this.#where()}`);
    this.#i++;
  }
  #where(): string {
    const t = this.#peek();
    return t ? `${t.at + 1} ("${t.text}")` : 'the end';
  }

  parse(): Node {
    const n = this.#ternary();
    if (this.#peek()) throw new FilterError(`unexpected ${this.#where()}`);
    return n;
  }

  #ternary(): Node {
    const cond = this.#or();
    if (!this.#is('?')) return cond;
    this.#i++;
    const a = this.#ternary();
    this.#take(':');
    const b = this.#ternary();
    return (e) => (truthy(cond(e), 'the condition') ? a(e) : b(e));
  }

  #or(): Node {
    return this.#logical('||', () => this.#and());
  }

  #and(): Node {
    return this.#logical('&&', () => this.#rel());
  }

  /** A left-associative chain of `op` (short-circuit, operands must be bools). */
  #logical(op: '||' | '&&', operand: () => Node): Node {
    let l = operand();
    while (this.#is(op)) {
      this.#i++;
      const a = l;
      const b = operand();
      const what = `an operand of ${op}`;
      l = op === '||' ? (e) => truthy(a(e), what) || truthy(b(e), what) : (e) => truthy(a(e), what) && truthy(b(e), what);
    }
    return l;
  }

  #rel(): Node {
    let l = this.#unary();
    for (;;) {
      const t = this.#peek();
      if (t?.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.text)) {
        this.#i++;
        const a = l;
        const b = this.#unary();
        l = (e) => compare(t.text, a(e), b(e));
      } else if (t?.kind === 'id' && t.text === 'in') {
        this.#i++;
        const a = l;
        const b = this.#unary();
        l = (e) => {
          const list = b(e);
          if (!Array.isArray(list)) throw new FilterError('the right side of in is not a list');
          const v = a(e);
          return list.some((x) => equal(x, v));
        };
      } else return l;
    }
  }

  #unary(): Node {
    if (this.#is('!')) {
      this.#i++;
      const a = this.#unary();
      return (e) => !truthy(a(e), 'the operand of !');
    }
    if (this.#is('-')) {
      this.#i++;
      const a = this.#unary();
      return (e) => {
        const v = a(e);
        if (typeof v !== 'number') throw new FilterError('the operand of - is not a number');
        return -v;
      };
    }
    return this.#member();
  }

  #member(): Node {
    const t = this.#peek();
    if (t?.kind === 'id' && !['true', 'false', 'null', 'in'].includes(t.text)) {
      // An attribute: a dotted name, then perhaps a method call.
      let name = t.text;
      this.#i++;
      while (this.#is('.')) {
        const next = this.toks[this.#i + 1];
        if (next?.kind !== 'id') throw new FilterError(`expected a name after "." at ${this.#where()}`);
        if (this.toks[this.#i + 2]?.kind === 'op' && this.toks[this.#i + 2]!.text === '(' && ATTRIBUTES[name]) break;
        name += `.${next.text}`;
        this.#i += 2;
      }
      if (this.#is('[')) throw new FilterError(`${name}[...] is not supported (supported attributes: ${Object.keys(ATTRIBUTES).join(', ')})`, true);
      const read = ATTRIBUTES[name];
      if (!read) throw new FilterError(`attribute ${name} is not supported (supported: ${Object.keys(ATTRIBUTES).join(', ')})`, true);
      if (this.#is('.')) return this.#method(read);
      return read;
    }
    return this.#primary();
  }

  #method(target: Node): Node {
    this.#take('.');
    const m = this.#peek()!;
    this.#i++;
    if (m.text !== 'matches' && !STRING_METHODS[m.text]) {
      throw new FilterError(`function ${m.text} is not supported (supported: startsWith, endsWith, contains, matches)`, true);
    }
    this.#take('(');
    const arg = this.#ternary();
    this.#take(')');
    if (m.text === 'matches') {
      return (e) => {
        const s = target(e);
        const p = arg(e);
        if (typeof s !== 'string' || typeof p !== 'string') throw new FilterError('matches wants strings');
        return regex(p).test(s);
      };
    }
    const f = STRING_METHODS[m.text]!;
    return (e) => {
      const s = target(e);
      const a = arg(e);
      if (typeof s !== 'string' || typeof a !== 'string') throw new FilterError(`${m.text} wants strings`);
      return f(s, a);
    };
  }

  #primary(): Node {
    const t = this.#peek();
    if (!t) throw new FilterError('unexpected end of expression');
    this.#i++;
    if (t.kind === 'num' || t.kind === 'str') {
      const v = t.value!;
      if (t.kind === 'str' && this.#is('.')) throw new FilterError(`methods on literals are not supported (at ${t.at + 1})`, true);
      return () => v;
    }
    if (t.kind === 'id') {
      if (t.text === 'true') return () => true;
      if (t.text === 'false') return () => false;
      if (t.text === 'null') return () => null;
    }
    if (t.kind === 'op' && t.text === '(') {
      const n = this.#ternary();
      this.#take(')');
      return n;
    }
    if (t.kind === 'op' && t.text === '[') {
      const items: Node[] = [];
      while (!this.#is(']')) {
        items.push(this.#ternary());
        if (!this.#is(']')) this.#take(',');
      }
      this.#take(']');
      return (e) => items.map((n) => n(e));
    }
    throw new FilterError(`unexpected "${t.text}" at ${t.at + 1}`);
  }
}

const regexes = new Map<string, RegExp>();
function regex(p: string): RegExp {
  let r = regexes.get(p);
  if (!r) {
    if (regexes.size > 100) regexes.clear();
    r = new RegExp(p, 'u');
    regexes.set(p, r);
  }
  return r;
}

/** Compiles `expression`. A line the expression errors on (a type mismatch at run time) is not logged. */
export function compileAccessLogFilter(expression: string): AccessLogFilter {
  try {
    const node = new Parser(tokenize(expression)).parse();
    return {
      ok: true,
      test: (e) => {
        try {
          return node(e) === true;
        } catch {
          return false;
        }
      },
    };
  } catch (err) {
    return { ok: false, error: (err as Error).message, unsupported: err instanceof FilterError && err.unsupported };
  }
}
