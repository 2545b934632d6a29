/**
 * Folds the rounds of each target × load into one cell of medians. Pure.
 */
import type { Cell, RunSample, TlsCounts } from '../model.ts';
import { median } from '../stats/percentiles.ts';

/** One cell per (target, load) present in `samples`, in first-seen order. */
export function aggregate(samples: readonly RunSample[]): Cell[] {
  const groups = new Map<string, RunSample[]>();
  for (const s of samples) {
    const key = `${s.target}\u0000${s.load}`;
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  return [...groups.values()].map(toCell);
}

function toCell(runs: RunSample[]): Cell {
  const first = runs[0]!;
  const m = (pick: (s: RunSample) => number): number => median(runs.map(pick));
  const mn = (pick: (s: RunSample) => number | null): number | null => {
    const v = runs.map(pick).filter((x): x is number => x !== null && Number.isFinite(x));
    return v.length ? median(v) : null;
  };
  const peaks = runs.map((s) => s.peakRssKb).filter((x): x is number => x !== null);
  const cell: Cell = {
    target: first.target,
    load: first.load,
    rounds: runs.length,
    requestsPerSec: m((s) => s.requestsPerSec),
    latencyUs: {
      p50: m((s) => s.latencyUs.p50),
      p90: m((s) => s.latencyUs.p90),
      p99: m((s) => s.latencyUs.p99),
      max: m((s) => s.latencyUs.max),
      mean: m((s) => s.latencyUs.mean),
    },
    errors: runs.reduce((a, s) => a + s.errors, 0),
    requests: runs.reduce((a, s) => a + s.requests, 0),
    cpuUsPerRequest: mn((s) => s.cpuUsPerRequest),
    cpuCores: mn((s) => s.cpuCores),
    upstreamCpuUsPerRequest: mn((s) => s.upstreamCpuUsPerRequest),
    peakRssKb: peaks.length ? Math.max(...peaks) : null,
  };
  const lags = runs.map((s) => s.sendLagUs).filter((x): x is { p50: number; p99: number } => x !== undefined);
  const tls = runs.map((s) => s.tls).filter((x): x is TlsCounts => x !== undefined);
  if (tls.length) cell.tls = tls.reduce((a, t) => ({ full: a.full + t.full, resumed: a.resumed + t.resumed, requests: a.requests + t.requests }), { full: 0, resumed: 0, requests: 0 });
  if (lags.length) cell.sendLagUs = { p50: median(lags.map((l) => l.p50)), p99: median(lags.map((l) => l.p99)) };
  return cell;
}
