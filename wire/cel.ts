/**
 * The subset of CEL (the Common Expression Language Envoy evaluates) that Istio Telemetry documents
 * use, compiled once into a function over an input whose attributes the caller names (pure): the
 * access-log filter (access-log-filter.ts) and the metrics' tag values (metric-tag-value.ts).
 *
 * Supported: literals (integers, doubles, 'strings' or "strings", true, false, null, lists
 * `[a, b]`), `!`, `-`, `+` (numbers, or strings), `== != < <= > >=`, `in` (a list), `&&`, `||`,
 * `? :`, parentheses, `string(x)`, `has(attribute)` / `has(map.key)`, the string methods startsWith,
 * endsWith, contains and matches (a regex), and map attributes (a request's headers): `m['key']`,
 * `m.key`, `'key' in m`. Anything else (other functions, other attributes, map literals) is refused
 * with `unsupported` set, so the caller can tell "valid CEL dockmesh cannot evaluate" from "not CEL".
 *
 * An attribute may be absent (its reader returns undefined, a map has no such key): `has()` is then
 * false, and any other use of it is an error (CEL's "no such key"), which the caller treats as it
 * treats a type error.
 */

/** A request's headers as Node gives them (lower-case names; a repeated one may be a list). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** One header's value (`name` lower case): a repeated header's values joined with ",", as Envoy joins them. */
export function headerText(headers: RequestHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return v === undefined ? undefined : typeof v === 'string' ? v : v.join(',');
}

/** Envoy's `request.url_path`: a request target without its query string. */
export function urlPath(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

/** A map attribute (a request's headers): keys looked up case-insensitively, as Envoy's header maps. */
export class CelMap {
  constructor(readonly entries: RequestHeaders) {}

  get(key: string): string | undefined {
    return headerText(this.entries, key.toLowerCase());
  }
}

export type CelValue = string | number | boolean | null | CelValue[] | CelMap;
type Value = CelValue;
type Node<T> = (e: T) => Value;
/** A node that returns undefined for an absent attribute or key (inside `has()`). */
type SoftNode<T> = (e: T) => Value | undefined;

/** The attributes an expression may read, each with how it reads its value from the input (undefined: absent). */
export type CelAttributes<T> = Readonly<Record<string, (e: T) => Value | undefined>>;

const STRING_METHODS: Record<string, (s: string, arg: string) => boolean> = {
  startsWith: (s, a) => s.startsWith(a),
  endsWith: (s, a) => s.endsWith(a),
  contains: (s, a) => s.includes(a),
};

export class CelError extends Error {
  constructor(message: string, readonly unsupported = false) {
    super(message);
  }
}

type Token = { kind: 'num' | 'str' | 'id' | 'op'; text: string; value?: Value; at: number };

const OPS = ['||', '&&', '==', '!=', '<=', '>=', '<', '>', '!', '-', '+', '(', ')', '[', ']', '.', ',', '?', ':'];

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
          if (n === undefined || esc[n] === undefined) throw new CelError(`unsupported escape at ${j + 1}`);
          s += esc[n];
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new CelError(`unterminated string at ${i + 1}`);
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
    if (!op) throw new CelError(`unexpected "${c}" at ${i + 1}`);
    out.push({ kind: 'op', text: op, at: i });
    i += op.length;
  }
  return out;
}

const truthy = (v: Value, what: string): boolean => {
  if (typeof v !== 'boolean') throw new CelError(`${what} is not a bool`);
  return v;
};

function equal(a: Value, b: Value): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

function compare(op: string, a: Value, b: Value): boolean {
  if (op === '==') return equal(a, b);
  if (op === '!=') return !equal(a, b);
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) throw new CelError(`cannot compare ${typeof a} with ${typeof b}`);
  const x = a as number | string;
  const y = b as number | string;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

class Parser<T> {
  #i = 0;
  /** Whether the expression reads an attribute (otherwise its value is a constant). */
  readsAttributes = false;
  constructor(readonly toks: Token[], readonly attributes: CelAttributes<T>) {}

  #peek(): Token | undefined {
    return this.toks[this.#i];
  }
  #is(text: string): boolean {
    const t = this.#peek();
    return t !== undefined && t.kind === 'op' && t.text === text;
  }
  #take(text: string): void {
    if (!this.#is(text)) throw new CelError(`expected "${text}" at ${this.#where()}`);
    this.#i++;
  }
  #where(): string {
    const t = this.#peek();
    return t ? `${t.at + 1} ("${t.text}")` : 'the end';
  }

  parse(): Node<T> {
    const n = this.#ternary();
    if (this.#peek()) throw new CelError(`unexpected ${this.#where()}`);
    return n;
  }

  #ternary(): Node<T> {
    const cond = this.#or();
    if (!this.#is('?')) return cond;
    this.#i++;
    const a = this.#ternary();
    this.#take(':');
    const b = this.#ternary();
    return (e) => (truthy(cond(e), 'the condition') ? a(e) : b(e));
  }

  #or(): Node<T> {
    return this.#logical('||', () => this.#and());
  }

  #and(): Node<T> {
    return this.#logical('&&', () => this.#rel());
  }

  /** A left-associative chain of `op` (short-circuit, operands must be bools). */
  #logical(op: '||' | '&&', operand: () => Node<T>): Node<T> {
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

  #rel(): Node<T> {
    let l = this.#additive();
    for (;;) {
      const t = this.#peek();
      if (t?.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.text)) {
        this.#i++;
        const a = l;
        const b = this.#additive();
        l = (e) => compare(t.text, a(e), b(e));
      } else if (t?.kind === 'id' && t.text === 'in') {
        this.#i++;
        const a = l;
        const b = this.#additive();
        l = (e) => {
          const list = b(e);
          const v = a(e);
          if (list instanceof CelMap) {
            if (typeof v !== 'string') throw new CelError('a map key is a string');
            return list.get(v) !== undefined;
          }
          if (!Array.isArray(list)) throw new CelError('the right side of in is not a list or map');
          return list.some((x) => equal(x, v));
        };
      } else return l;
    }
  }

  /** `a + b` (left-associative): two numbers add, two strings concatenate (CEL has no mixed +). */
  #additive(): Node<T> {
    let l = this.#unary();
    while (this.#is('+')) {
      this.#i++;
      const a = l;
      const b = this.#unary();
      l = (e) => {
        const x = a(e);
        const y = b(e);
        if (typeof x === 'number' && typeof y === 'number') return x + y;
        if (typeof x === 'string' && typeof y === 'string') return x + y;
        throw new CelError(`cannot add ${typeof x} and ${typeof y}`);
      };
    }
    return l;
  }

  #unary(): Node<T> {
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
        if (typeof v !== 'number') throw new CelError('the operand of - is not a number');
        return -v;
      };
    }
    return this.#member();
  }

  #member(): Node<T> {
    const t = this.#peek();
    if (t?.kind === 'id' && t.text === 'string' && this.toks[this.#i + 1]?.text === '(') {
      // CEL's string(): the conversion of a number, bool or string.
      this.#i++;
      this.#take('(');
      const arg = this.#ternary();
      this.#take(')');
      return (e) => {
        const v = arg(e);
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        throw new CelError(`string() of ${v === null ? 'null' : 'a list or map'}`);
      };
    }
    if (t?.kind === 'id' && t.text === 'has' && this.toks[this.#i + 1]?.text === '(') {
      // CEL's has() macro: whether an attribute (or a map's key) is present.
      this.#i++;
      this.#take('(');
      const ref = this.#reference(true);
      this.#take(')');
      return (e) => ref(e) !== undefined;
    }
    if (t?.kind === 'id' && !['true', 'false', 'null', 'in'].includes(t.text)) {
      const ref = this.#reference(false);
      const read: Node<T> = (e) => {
        const v = ref(e);
        if (v === undefined) throw new CelError('no such attribute or key');
        return v;
      };
      if (this.#is('.')) return this.#method(read);
      return read;
    }
    return this.#primary();
  }

  /**
   * An attribute: a dotted name, then on a map attribute a key (`['key']`, or `.key` inside
   * `has()`); stops before a method call. Its node returns undefined when it is absent.
   */
  #reference(inHas: boolean): SoftNode<T> {
    const first = this.#peek()!;
    if (first.kind !== 'id') throw new CelError(`has() takes an attribute, not "${first.text}" (at ${first.at + 1})`);
    let name = first.text;
    this.#i++;
    while (this.#is('.') && !this.attributes[name]) {
      const next = this.toks[this.#i + 1];
      if (next?.kind !== 'id') throw new CelError(`expected a name after "." at ${this.#where()}`);
      name += `.${next.text}`;
      this.#i += 2;
    }
    const read = this.attributes[name];
    if (!read) throw new CelError(`attribute ${name} is not supported (supported: ${Object.keys(this.attributes).join(', ')})`, true);
    this.readsAttributes = true;
    let key: Node<T> | undefined;
    if (this.#is('[')) {
      this.#i++;
      key = this.#ternary();
      this.#take(']');
    } else if (inHas && this.#is('.') && this.toks[this.#i + 1]?.kind === 'id' && this.toks[this.#i + 2]?.text !== '(') {
      const field = this.toks[this.#i + 1]!.text;
      this.#i += 2;
      key = () => field;
    }
    if (!key) return read;
    const k = key;
    return (e) => {
      const m = read(e);
      if (m === undefined) return undefined;
      if (!(m instanceof CelMap)) throw new CelError(`${name} is not a map`);
      const kv = k(e);
      if (typeof kv !== 'string') throw new CelError('a map key is a string');
      return m.get(kv);
    };
  }

  #method(target: Node<T>): Node<T> {
    this.#take('.');
    const m = this.#peek()!;
    this.#i++;
    if (m.text !== 'matches' && !STRING_METHODS[m.text]) {
      throw new CelError(`function ${m.text} is not supported (supported: startsWith, endsWith, contains, matches)`, true);
    }
    this.#take('(');
    const arg = this.#ternary();
    this.#take(')');
    if (m.text === 'matches') {
      return (e) => {
        const s = target(e);
        const p = arg(e);
        if (typeof s !== 'string' || typeof p !== 'string') throw new CelError('matches wants strings');
        return regex(p).test(s);
      };
    }
    const f = STRING_METHODS[m.text]!;
    return (e) => {
      const s = target(e);
      const a = arg(e);
      if (typeof s !== 'string' || typeof a !== 'string') throw new CelError(`${m.text} wants strings`);
      return f(s, a);
    };
  }

  #primary(): Node<T> {
    const t = this.#peek();
    if (!t) throw new CelError('unexpected end of expression');
    this.#i++;
    if (t.kind === 'num' || t.kind === 'str') {
      const v = t.value!;
      if (t.kind === 'str' && this.#is('.')) throw new CelError(`methods on literals are not supported (at ${t.at + 1})`, true);
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
      const items: Node<T>[] = [];
      while (!this.#is(']')) {
        items.push(this.#ternary());
        if (!this.#is(']')) this.#take(',');
      }
      this.#take(']');
      return (e) => items.map((n) => n(e));
    }
    throw new CelError(`unexpected "${t.text}" at ${t.at + 1}`);
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

/** A compiled expression: its value for an input (throws {@link CelError} on a type error), and whether it reads no attribute. */
export interface CelProgram<T> {
  evaluate: (e: T) => CelValue;
  constant: boolean;
}

export type CelCompiled<T> = { ok: true; program: CelProgram<T> } | { ok: false; error: string; unsupported: boolean };

/** Compiles `expression` over `attributes`. */
export function compileCel<T>(expression: string, attributes: CelAttributes<T>): CelCompiled<T> {
  try {
    const parser = new Parser(tokenize(expression), attributes);
    const evaluate = parser.parse();
    return { ok: true, program: { evaluate, constant: !parser.readsAttributes } };
  } catch (err) {
    return { ok: false, error: (err as Error).message, unsupported: err instanceof CelError && err.unsupported };
  }
}
