import type { HeaderOperationSetSnapshot } from '../../wire/types.ts';

type HeaderObject = Record<string, string | string[] | undefined>;

/**
 * Istio's header manipulation for one direction, compiled once: `remove` first, then `set`
 * (overwrite or add), then `add` (append), as Envoy's header parser evaluates them. Names compare
 * case-insensitively. Values are literal (Envoy's `%VAR%` substitutions are not expanded).
 */
export class HeaderOperations {
  readonly #drop: Set<string>;
  readonly #set: Array<[string, string]>;
  readonly #add: Array<[string, string]>;

  constructor(ops: HeaderOperationSetSnapshot) {
    const set = Object.entries(ops.set ?? {}).map(([k, v]): [string, string] => [k.toLowerCase(), v]);
    this.#set = set;
    this.#add = Object.entries(ops.add ?? {}).map(([k, v]): [string, string] => [k.toLowerCase(), v]);
    this.#drop = new Set([...(ops.remove ?? []).map((n) => n.toLowerCase()), ...set.map(([k]) => k)]);
  }

  /** Compiles `ops`, or undefined when there is nothing to do. */
  static of(ops: HeaderOperationSetSnapshot | undefined): HeaderOperations | undefined {
    if (!ops || (!ops.remove?.length && !Object.keys(ops.set ?? {}).length && !Object.keys(ops.add ?? {}).length)) return undefined;
    return new HeaderOperations(ops);
  }

  /**
   * Applies to flat name/value pairs (request headers for undici, response headers for writeHead);
   * returns a new array. `add` appends a pair: one more header line, as Envoy sends it.
   */
  applyFlat<V extends string | string[]>(headers: readonly V[]): (V | string)[] {
    const out: (V | string)[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      if (!this.#drop.has((headers[i] as string).toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
    }
    for (const [k, v] of this.#set) out.push(k, v);
    for (const [k, v] of this.#add) out.push(k, v);
    return out;
  }

  /** Applies to a header object with lower-case names (the agent's own local replies), in place. */
  applyObject(headers: HeaderObject): void {
    for (const name of this.#drop) delete headers[name];
    for (const [k, v] of this.#set) headers[k] = v;
    for (const [k, v] of this.#add) {
      const have = headers[k];
      if (have === undefined) headers[k] = v;
      else headers[k] = Array.isArray(have) ? [...have, v] : [have, v];
    }
  }
}
