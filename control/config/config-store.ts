/**
 * The meshfile in force: the last good load, the diagnostics of the last attempt, and a version that
 * bumps whenever a new good config takes effect. An invalid file changes nothing in force; a
 * deleted file keeps the last good config and says so.
 */
import { EventEmitter } from 'node:events';

/** What a diagnostic must carry for status output (the meshfile room's Diagnostic fits). */
export interface DiagnosticLike {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
  path?: string;
  kind?: string;
  name?: string;
}

export interface LoadOutcome<S> {
  valid: boolean;
  spec: S | null;
  diagnostics: DiagnosticLike[];
}

export type Loader<S, C> = (text: string, file: string, ctx?: C) => LoadOutcome<S>;

/** What status and `mesh check` show of the config. */
export interface ConfigStatusView {
  file: string | null;
  /** Version of the config in force (0: built-in defaults, no meshfile yet). */
  version: number;
  appliedAt: string | null;
  /** The last attempt failed: these errors; the config in force is older. */
  errors: DiagnosticLike[];
  warnings: DiagnosticLike[];
  /** e.g. "meshfile deleted: keeping version 3". */
  notice?: string;
}

/** Holds the config in force; emits `change` (spec) when a new good one takes effect. */
export class ConfigStore<S, C> extends EventEmitter {
  #spec: S | null = null;
  #version = 0;
  #appliedAt: Date | null = null;
  #lastText: string | null = null;
  #errors: DiagnosticLike[] = [];
  #warnings: DiagnosticLike[] = [];
  #notice: string | undefined;

  constructor(
    readonly file: string | null,
    readonly load: Loader<S, C>,
    readonly context: () => C | undefined,
  ) {
    super();
  }

  get spec(): S | null {
    return this.#spec;
  }

  get version(): number {
    return this.#version;
  }

  /**
   * Applies new file contents. Returns true when a new config took effect. Identical text that
   * loads to the same result is not a new version.
   */
  apply(text: string): boolean {
    const outcome = this.load(text, this.file ?? 'mesh.yaml', this.context());
    this.#notice = undefined;
    if (!outcome.valid || !outcome.spec) {
      this.#errors = outcome.diagnostics.filter((d) => d.severity === 'error');
      this.#warnings = outcome.diagnostics.filter((d) => d.severity === 'warning');
      return false;
    }
    this.#errors = outcome.diagnostics.filter((d) => d.severity === 'error');
    this.#warnings = outcome.diagnostics.filter((d) => d.severity === 'warning');
    const key = JSON.stringify(outcome.spec);
    if (key === this.#lastText) return false;
    this.#lastText = key;
    this.#spec = outcome.spec;
    this.#version++;
    this.#appliedAt = new Date();
    this.emit('change', outcome.spec);
    return true;
  }

  /** The file is gone: keep what is in force, and say so. */
  deleted(): void {
    this.#notice = `meshfile deleted: keeping the last good config (version ${this.#version})`;
  }

  /** Re-validates the last text against a new context (services came or went). */
  revalidate(text: string | null): boolean {
    return text === null ? false : this.apply(text);
  }

  view(): ConfigStatusView {
    return {
      file: this.file,
      version: this.#version,
      appliedAt: this.#appliedAt?.toISOString() ?? null,
      errors: this.#errors,
      warnings: this.#warnings,
      notice: this.#notice,
    };
  }
}
