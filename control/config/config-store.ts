/**
 * The meshfile in force: the last good load, the diagnostics of the last attempt, and a version that
 * bumps whenever a new good config takes effect. An invalid file changes nothing in force; a
 * deleted file keeps the last good config and says so.
 */
import { EventEmitter } from 'node:events';

import type { DiagnosticView, MeshfileStatusView } from '../../wire/types.ts';

/** What a diagnostic must carry for status output (the meshfile room's Diagnostic fits). */
export type DiagnosticLike = DiagnosticView;

export interface LoadOutcome<S> {
  valid: boolean;
  spec: S | null;
  diagnostics: DiagnosticLike[];
}

export type Loader<S, C> = (text: string, file: string, ctx?: C) => LoadOutcome<S>;

/** What status shows of the config. */
export type ConfigStatusView = MeshfileStatusView;

/** Holds the config in force; emits `change` (spec) when a new good one takes effect. */
export class ConfigStore<S, C> extends EventEmitter {
  #spec: S | null = null;
  #version = 0;
  #appliedAt: Date | null = null;
  #lastText: string | null = null;
  #errors: DiagnosticLike[] = [];
  #warnings: DiagnosticLike[] = [];
  #notice: string | undefined;
  #valid = true;
  #raw: string | null = null;

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
    this.#raw = text;
    const outcome = this.load(text, this.file ?? 'mesh.yaml', this.context());
    this.#notice = undefined;
    this.#valid = outcome.valid && outcome.spec !== null;
    if (!this.#valid) {
      this.#errors = outcome.diagnostics.filter((d) => d.severity === 'error');
      this.#warnings = outcome.diagnostics.filter((d) => d.severity === 'warning');
      return false;
    }
    this.#errors = outcome.diagnostics.filter((d) => d.severity === 'error');
    this.#warnings = outcome.diagnostics.filter((d) => d.severity === 'warning');
    const key = JSON.stringify(outcome.spec);
    if (key === this.#lastText) return false;
    this.#lastText = key;
    this.#spec = outcome.spec!;
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
  revalidate(): boolean {
    return this.#raw === null ? false : this.apply(this.#raw);
  }

  view(): ConfigStatusView {
    return {
      file: this.file,
      version: this.#version,
      appliedAt: this.#appliedAt?.toISOString() ?? null,
      errors: this.#errors,
      warnings: this.#warnings,
      valid: this.#valid,
      notice: this.#notice,
    };
  }
}
