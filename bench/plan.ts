/**
 * The order of runs, and where processes are pinned. Pure.
 *
 * Targets alternate inside every round (A B C A B C ...), and the starting target rotates by one
 * each round, so slow drift of the machine (other jobs, thermal, page cache) spreads over all
 * targets instead of always hitting the same one.
 */
import type { LoadSpec } from './loads.ts';

/**
 * Quiet time before idle memory is read (the targets' and the control plane's agents'): V8's memory
 * reducer shrinks an idle heap about 8 s after the last activity (measured here: an agent's RSS drops
 * from 72 to 64.5 MB between 6 and 8 s). `quick`: the CI smoke run's.
 */
export const IDLE_SETTLE_MS = { full: 12_000, quick: 1_000 } as const;

/** Quiet times of the control-plane figures, ms: after the last save before the agents' RSS; control server alone; once every memory agent is connected. */
export interface ControlPlaneWaits {
  afterSavesMs: number;
  controlIdleMs: number;
  connectedMs: number;
}

/** The control-plane figures' quiet times: a full run's, and the quick smoke run's (its figures only show every step runs). */
export const CONTROL_PLANE_WAITS: { readonly full: ControlPlaneWaits; readonly quick: ControlPlaneWaits } = {
  full: { afterSavesMs: 2000, controlIdleMs: 500, connectedMs: 1000 },
  quick: { afterSavesMs: 300, controlIdleMs: 200, connectedMs: 300 },
};

/**
 * Pause after each measured run, so the next one starts on a quiet machine: the closed connections
 * of a new-connection run are torn down, the load generator's processes are gone. A quick run is a
 * smoke test whose figures count for nothing: short pauses keep it under its 60 s.
 */
export const PAUSE_AFTER_RUN_MS = { full: { keepAlive: 200, closeEach: 500 }, quick: { keepAlive: 50, closeEach: 100 } } as const;

/** The pause after a run of `load` (see {@link PAUSE_AFTER_RUN_MS}). */
export function pauseAfterRun(load: Pick<LoadSpec, 'closeEach'>, quick: boolean): number {
  const p = quick ? PAUSE_AFTER_RUN_MS.quick : PAUSE_AFTER_RUN_MS.full;
  return load.closeEach ? p.closeEach : p.keepAlive;
}

export interface PlannedRun {
  round: number;
  load: string;
  target: string;
}

/** Every measured run, in order: for each round, for each load, every target (rotated). */
export function planRuns(rounds: number, loads: readonly string[], targets: readonly string[]): PlannedRun[] {
  const out: PlannedRun[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const load of loads) {
      for (let k = 0; k < targets.length; k++) {
        out.push({ round, load, target: targets[(k + round) % targets.length]! });
      }
    }
  }
  return out;
}

/** CPU lists for `taskset -c`; undefined entries mean "not pinned". */
export interface Pinning {
  /** The proxies (nginx, haproxy, agents): the process under test gets a core of its own. */
  proxy: string | undefined;
  upstream: string | undefined;
  /** wrk and the fixed-rate generator. */
  load: string | undefined;
  /** wrk threads. */
  loadThreads: number;
  note: string;
}

/**
 * 1 core: nothing pinned. 2 cores: proxies on 0; upstream and load generator share 1.
 * 3+ cores: proxies on 0, upstream on 1, load generator on the rest. The one-connection load's
 * generator is the exception: see {@link generatorCpus}.
 */
export function planPinning(cores: number, canPin: boolean): Pinning {
  if (!canPin || cores < 2) {
    return { proxy: undefined, upstream: undefined, load: undefined, loadThreads: 1, note: 'not pinned' };
  }
  if (cores === 2) {
    return {
      proxy: '0',
      upstream: '1',
      load: '1',
      loadThreads: 1,
      note: "proxies on core 0; upstream and load generator share core 1; the 1-connection load's wrk runs on core 0",
    };
  }
  const load = cores === 3 ? '2' : `2-${cores - 1}`;
  return {
    proxy: '0',
    upstream: '1',
    load,
    loadThreads: Math.min(2, cores - 2),
    note: `proxies on core 0; upstream on core 1; load generator on cores ${load}; the 1-connection load's wrk runs on core 0`,
  };
}

/**
 * The cores a load's generator is pinned to. A one-connection latency run puts it on the proxy's
 * core: then direct and proxied requests both cross to the upstream's core and back once, and the
 * latency a proxy adds is its own work plus two switches on its core. On the load cores instead, a
 * proxied request crosses cores four times and a direct one never, and the added latency is mostly
 * the time this virtual machine takes to wake an idle core (docs/benchmarks.md, Pinning).
 */
export function generatorCpus(load: Pick<LoadSpec, 'generator'>, pinning: Pinning): string | undefined {
  return load.generator === 'proxy-core' ? pinning.proxy : pinning.load;
}
