/**
 * The endpoint registry: the project's workloads (from discovery) joined with what each agent
 * reported (app ports, readiness). Mutable run-time state; compile/snapshot.ts reads a frozen view.
 */
import type { AgentReport } from '../../wire/types.ts';
import type { Workload } from '../discovery/labels.ts';

/** What the control server knows of one agent at run time. */
export interface AgentState {
  container: string;
  report?: AgentReport;
  reportedAt?: number;
  connected: boolean;
  desiredVersion: number;
  ackedVersion: number;
  lastNack?: string;
}

/** A frozen view for the compiler. */
export interface RegistryView {
  workloads: readonly Workload[];
  /** container id → ports its app listens on (from its agent), ascending. */
  ports: ReadonlyMap<string, readonly number[]>;
  /** container ids whose agent is connected and ready. */
  meshed: ReadonlySet<string>;
}

/** Holds workloads and agent states; `changed` tells whether the last update changed anything. */
export class EndpointRegistry {
  #workloads: Workload[] = [];
  #workloadsKey = '';
  readonly agents = new Map<string, AgentState>();

  /** Replaces the whole workload set. Returns true when it differs from the last one. */
  setWorkloads(workloads: Workload[]): boolean {
    const key = JSON.stringify(workloads);
    if (key === this.#workloadsKey) return false;
    this.#workloads = workloads;
    this.#workloadsKey = key;
    return true;
  }

  get workloads(): readonly Workload[] {
    return this.#workloads;
  }

  workload(container: string): Workload | undefined {
    return this.#workloads.find((w) => w.container === container);
  }

  /** Agent state, created on first use. */
  agent(container: string): AgentState {
    let s = this.agents.get(container);
    if (!s) {
      s = { container, connected: false, desiredVersion: 0, ackedVersion: 0 };
      this.agents.set(container, s);
    }
    return s;
  }

  /** Records a report. Returns true when it changes what peers see (ports or readiness). */
  report(container: string, report: AgentReport): boolean {
    const s = this.agent(container);
    const before = JSON.stringify([s.report?.ports ?? [], s.report?.ready ?? false]);
    s.report = report;
    s.reportedAt = Date.now();
    return before !== JSON.stringify([report.ports, report.ready]);
  }

  /** Drops agent states of containers that are gone. */
  prune(): void {
    const live = new Set(this.#workloads.map((w) => w.container));
    for (const id of this.agents.keys()) if (!live.has(id)) this.agents.delete(id);
  }

  view(): RegistryView {
    const ports = new Map<string, readonly number[]>();
    const meshed = new Set<string>();
    for (const w of this.#workloads) {
      const s = this.agents.get(w.container);
      if (s?.report) ports.set(w.container, [...s.report.ports].sort((a, b) => a - b));
      if (s?.connected && s.report?.ready) meshed.add(w.container);
    }
    return { workloads: this.#workloads, ports, meshed };
  }
}
