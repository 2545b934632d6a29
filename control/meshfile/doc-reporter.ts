/**
 * Collects the diagnostics of one meshfile, and of each document in it with that document's kind,
 * name and positions. Remembers whether the file is invalid and which documents are disabled.
 */
import { MESHFILE_CODES, type Diagnostic, type MeshfileCode } from './diagnostics.ts';
import type { Pos, PositionIndex } from './position-index.ts';

/** A document that an object-scoped error disabled. */
export interface DisabledObject {
  kind: string;
  name: string;
  namespace: string;
  /** Index of the document in the file. */
  index: number;
  codes: MeshfileCode[];
}

export class FileReport {
  readonly diagnostics: Diagnostic[] = [];
  readonly disabled = new Map<number, DisabledObject>();
  invalid = false;
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  add(code: MeshfileCode, message: string, pos: Pos, doc?: { kind?: string; name?: string; path?: string }): void {
    const info = MESHFILE_CODES[code];
    const d: Diagnostic = { severity: info.severity, code, message, file: this.file, line: pos.line, column: pos.column };
    if (doc?.kind) d.kind = doc.kind;
    if (doc?.name) d.name = doc.name;
    if (doc?.path) d.path = doc.path;
    this.diagnostics.push(d);
    if (info.scope === 'file') this.invalid = true;
  }
}

/** Reports for one document: positions come from the document's index by JSON path. */
export class DocReporter {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly index: number;
  readonly positions: PositionIndex;
  readonly #file: FileReport;

  constructor(file: FileReport, doc: { kind: string; name: string; namespace: string; index: number }, positions: PositionIndex) {
    this.#file = file;
    this.kind = doc.kind;
    this.name = doc.name;
    this.namespace = doc.namespace;
    this.index = doc.index;
    this.positions = positions;
  }

  /** Reports at the value of `path` (or at its key with `at: 'key'`). */
  report(code: MeshfileCode, path: string, message: string, at: 'key' | 'value' = 'value'): void {
    const pos = at === 'key' ? this.positions.key(path) : this.positions.value(path);
    this.reportAt(code, path, message, pos);
  }

  reportAt(code: MeshfileCode, path: string, message: string, pos: Pos): void {
    this.#file.add(code, message, pos, { kind: this.kind, name: this.name, path });
    if (MESHFILE_CODES[code].scope === 'object') {
      const prev = this.#file.disabled.get(this.index);
      if (prev) {
        if (!prev.codes.includes(code)) prev.codes.push(code);
      } else {
        this.#file.disabled.set(this.index, { kind: this.kind, name: this.name, namespace: this.namespace, index: this.index, codes: [code] });
      }
    }
  }
}
