/**
 * Where each JSON path of a document sits in the file: the key's position and the value's. Filled by
 * the schema walker, read by the semantic checks so every diagnostic carries line:column.
 */

export interface Pos {
  line: number;
  column: number;
}

/** `a.b` for identifier keys, `a["x-b.c"]` for others. */
export function childPath(parent: string, key: string): string {
  const seg = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return parent ? `${parent}${seg}` : seg.startsWith('.') ? seg.slice(1) : seg;
}

/** `a[3]`. */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** The parent of a path (`a.b[2].c` → `a.b[2]` → `a.b` → `a` → ``). */
export function parentPath(path: string): string {
  const m = /^(.*?)(?:\.[A-Za-z_$][A-Za-z0-9_$]*|\[[^\]]*\]|\["(?:[^"\\]|\\.)*"\])$/.exec(path);
  return m ? m[1]! : '';
}

export class PositionIndex {
  readonly #keys = new Map<string, Pos>();
  readonly #values = new Map<string, Pos>();
  readonly #fallback: Pos;

  constructor(fallback: Pos) {
    this.#fallback = fallback;
  }

  setKey(path: string, pos: Pos): void {
    this.#keys.set(path, pos);
  }

  setValue(path: string, pos: Pos): void {
    this.#values.set(path, pos);
  }

  /** The value's position, or the nearest ancestor's. */
  value(path: string): Pos {
    for (let p = path; ; p = parentPath(p)) {
      const v = this.#values.get(p) ?? this.#keys.get(p);
      if (v) return v;
      if (p === '') return this.#fallback;
    }
  }

  /** The key's position (for a field), else the value's, else the nearest ancestor's. */
  key(path: string): Pos {
    return this.#keys.get(path) ?? this.value(path);
  }
}
