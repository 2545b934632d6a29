import type { AckRequest, AgentConfigView } from '../wire/types.ts';
import { buildRouteTable, detachedDeps, type RouteTable, type TableDeps } from './route-table.ts';
import { validateSnapshot } from './validate-snapshot.ts';

/** Outcome of {@link ConfigStore.prepare}. */
export type Prepared =
  | { kind: 'new'; table: RouteTable }
  | { kind: 'same'; ack: AckRequest }
  | { kind: 'invalid'; ack: AckRequest };

/**
 * The snapshot in force. New tables are built off to the side (`prepare`) and swapped in whole
 * (`commit`); requests keep the table they read at their start.
 */
export class ConfigStore {
  current: RouteTable | null = null;
  lastError: string | undefined;
  /** Resolves when the first table is put in force. */
  readonly applied: Promise<void>;
  readonly #deps: TableDeps;
  #firstApplied: (() => void) | null = null;

  /** `deps`: the traffic state tables continue, the pool layer, the metrics; default: detached ones. */
  constructor(deps: TableDeps = detachedDeps()) {
    this.#deps = deps;
    this.applied = new Promise((resolve) => {
      this.#firstApplied = resolve;
    });
  }

  /** Validates `value` and builds its table without touching the one in force. */
  prepare(value: unknown): Prepared {
    const check = validateSnapshot(value);
    if (!check.ok) {
      this.lastError = `version ${check.version}: ${check.error}`;
      return { kind: 'invalid', ack: { version: check.version, ok: false, error: check.error } };
    }
    const s = check.snapshot;
    if (this.current && this.current.snapshot.hash === s.hash && this.current.version === s.version) {
      return { kind: 'same', ack: { version: s.version, ok: true } };
    }
    try {
      return { kind: 'new', table: buildRouteTable(s, this.#deps) };
    } catch (err) {
      // A shape the validator let through but the route compiler cannot use: NACK, keep the old table.
      const error = `cannot compile routes: ${(err as Error).message}`;
      this.lastError = `version ${s.version}: ${error}`;
      return { kind: 'invalid', ack: { version: s.version, ok: false, error } };
    }
  }

  /** Puts `table` in force. */
  commit(table: RouteTable): void {
    this.current = table;
    this.lastError = undefined;
    this.#firstApplied?.();
    this.#firstApplied = null;
  }

  /** Records why an otherwise valid snapshot could not be fully applied. */
  fail(error: string): void {
    this.lastError = error;
  }

  /** Version in force (0 before the first snapshot). */
  get version(): number {
    return this.current?.version ?? 0;
  }

  /** GET /config. */
  view(): AgentConfigView {
    const view: AgentConfigView = { version: this.version, snapshot: this.current?.snapshot ?? null };
    if (this.lastError) view.lastError = this.lastError;
    if (this.current?.problems.length) view.problems = this.current.problems;
    return view;
  }
}
