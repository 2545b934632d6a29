/**
 * Ratios of every target to direct and to haproxy, per load. Pure.
 *
 * Throughput ratios (target ÷ reference) above 1 are better; latency and CPU ratios above 1 are
 * worse. "Requests/s per proxy core" is 1e6 ÷ CPU µs per request: what the proxy would serve with a
 * whole core to itself, the fair figure when the upstream or the load generator caps throughput.
 */
import type { Cell, RatioRow } from '../model.ts';

export const DIRECT = 'direct';
export const HAPROXY = 'haproxy';

export function ratioRows(cells: readonly Cell[]): RatioRow[] {
  const byKey = new Map(cells.map((c) => [`${c.target}\u0000${c.load}`, c]));
  const ref = (target: string, load: string): Cell | undefined => byKey.get(`${target}\u0000${load}`);
  return cells.map((c) => {
    const direct = ref(DIRECT, c.load);
    const haproxy = ref(HAPROXY, c.load);
    const perCore = c.cpuUsPerRequest ? 1e6 / c.cpuUsPerRequest : null;
    const haPerCore = haproxy?.cpuUsPerRequest ? 1e6 / haproxy.cpuUsPerRequest : null;
    return {
      target: c.target,
      load: c.load,
      rpsVsDirect: ratio(c.requestsPerSec, direct?.requestsPerSec),
      rpsVsHaproxy: ratio(c.requestsPerSec, haproxy?.requestsPerSec),
      p50VsDirect: ratio(c.latencyUs.p50, direct?.latencyUs.p50),
      p99VsDirect: ratio(c.latencyUs.p99, direct?.latencyUs.p99),
      addedP50Us: diff(c.latencyUs.p50, direct?.latencyUs.p50),
      addedP90Us: diff(c.latencyUs.p90, direct?.latencyUs.p90),
      addedP99Us: diff(c.latencyUs.p99, direct?.latencyUs.p99),
      cpuVsHaproxy: ratio(c.cpuUsPerRequest, haproxy?.cpuUsPerRequest),
      rpsPerProxyCore: perCore,
      rpsPerCoreVsHaproxy: ratio(perCore, haPerCore),
    };
  });
}

/** a ÷ b, or null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

function diff(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  return a - b;
}
