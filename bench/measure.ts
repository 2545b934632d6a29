/**
 * One measured run: a load against a running target, with the CPU and peak memory of the target's
 * proxy processes (and the upstream's CPU) taken over exactly the load's window.
 */
import { join } from 'node:path';
import { runFixedRateChild } from './load/fixed-rate-child.ts';
import { runWrk } from './load/wrk.ts';
import type { LoadSpec } from './loads.ts';
import type { RunSample } from './model.ts';
import { generatorCpus, type Pinning } from './plan.ts';
import { CLK_TCK, type ProcMeter } from './proc/proc-meter.ts';
import { cpuUsPerRequest } from './proc/proc-stat.ts';
import type { RunningTarget } from './targets/target.ts';

export interface MeasureContext {
  workDir: string;
  pinning: Pinning;
  upstream: ProcMeter;
}

interface Window {
  proxyTicks: number;
  upstreamTicks: number;
  atMs: number;
}

export async function measureRun(
  target: RunningTarget,
  targetId: string,
  load: LoadSpec,
  durationS: number,
  round: number,
  ctx: MeasureContext,
): Promise<RunSample> {
  const snap = (): Window => ({
    proxyTicks: target.meters.reduce((a, m) => a + m.cpuTicks(), 0),
    upstreamTicks: ctx.upstream.cpuTicks(),
    atMs: performance.now(),
  });
  const logFile = join(ctx.workDir, `load-${targetId}-${load.id}.log`);
  const tlsBefore = await target.tlsCounters?.().catch(() => undefined);
  for (const m of target.meters) m.startPeakWindow();
  let start: Window | undefined;
  let requests: number;
  let measuredS: number;
  let rps: number;
  let latency: RunSample['latencyUs'];
  let errors: number;
  let sendLag: RunSample['sendLagUs'];
  if (load.kind === 'wrk') {
    start = snap();
    const r = await runWrk({
      port: target.port,
      host: target.host,
      headers: target.headers,
      connections: load.connections,
      threads: ctx.pinning.loadThreads,
      durationS,
      closeEach: load.closeEach,
      cpus: generatorCpus(load, ctx.pinning),
      logFile,
    });
    ({ requests, durationS: measuredS, requestsPerSec: rps, errorCount: errors } = r);
    latency = pickLatency(r.latency);
  } else {
    const r = await runFixedRateChild(
      {
        port: target.port,
        host: target.host,
        headers: target.headers,
        path: '/',
        rate: load.rate ?? 1000,
        durationS,
        warmConnections: load.connections,
        maxConnections: 512,
        graceS: 2,
      },
      ctx.pinning.load,
      logFile,
      () => (start = snap()),
      ctx.workDir,
    );
    ({ completed: requests, durationS: measuredS, requestsPerSec: rps, errorCount: errors } = r);
    latency = pickLatency(r.latency);
    sendLag = { p50: r.sendLagUs.p50, p99: r.sendLagUs.p99 };
  }
  const end = snap();
  const peaks = target.meters.map((m) => m.stopPeakWindow());
  const begin = start ?? end;
  const wallS = (end.atMs - begin.atMs) / 1000;
  const proxyTicks = end.proxyTicks - begin.proxyTicks;
  const hasProxy = target.meters.length > 0;
  const sample: RunSample = {
    round,
    target: targetId,
    load: load.id,
    durationS: measuredS,
    requests,
    requestsPerSec: rps,
    latencyUs: latency,
    errors,
    cpuUsPerRequest: hasProxy ? nullIfNaN(cpuUsPerRequest(proxyTicks, CLK_TCK, requests)) : null,
    cpuCores: hasProxy && wallS > 0 ? proxyTicks / CLK_TCK / wallS : null,
    upstreamCpuUsPerRequest: nullIfNaN(cpuUsPerRequest(end.upstreamTicks - begin.upstreamTicks, CLK_TCK, requests)),
    peakRssKb: hasProxy ? peaks.reduce((a, b) => a + b, 0) : null,
  };
  if (sendLag) sample.sendLagUs = sendLag;
  const tlsAfter = tlsBefore ? await target.tlsCounters?.().catch(() => undefined) : undefined;
  if (tlsBefore && tlsAfter) {
    sample.tls = { full: tlsAfter.full - tlsBefore.full, resumed: tlsAfter.resumed - tlsBefore.resumed, requests: tlsAfter.requests - tlsBefore.requests };
  }
  return sample;
}

function pickLatency(l: { p50: number; p90: number; p99: number; max: number; mean: number }): RunSample['latencyUs'] {
  return { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max, mean: l.mean };
}

function nullIfNaN(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
