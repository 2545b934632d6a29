/**
 * Runs the control-plane figures (bench/control-plane/, a colleague's measurement: the control
 * server and N process-mode agents on loopback) as part of `npm run bench`, and maps its answer to
 * the results model. Loaded lazily: a control/ that does not load makes a "not available" row, not
 * a failed bench.
 */
import { mkdirSync } from 'node:fs';
import type { ControlPlaneFigures } from './model.ts';
import { CONTROL_PLANE_WAITS, IDLE_SETTLE_MS } from './plan.ts';

/**
 * Agents for save → applied, saves, agents for the memory figure, the agents' idle wait before their
 * idle reading (the targets' settle), the other quiet times, the compile runs. Full sizes are the
 * issue's; quick ones only show that every step still runs (the CI smoke run, under 60 s).
 */
export const CONTROL_PLANE_SIZES = {
  full: { agents: 50, saves: 20, memoryAgents: 100, agentIdleMs: IDLE_SETTLE_MS.full, waits: CONTROL_PLANE_WAITS.full, compileRuns: 5 },
  quick: { agents: 3, saves: 3, memoryAgents: 3, agentIdleMs: IDLE_SETTLE_MS.quick, waits: CONTROL_PLANE_WAITS.quick, compileRuns: 2 },
} as const;

export async function measureControlPlane(quick: boolean, dir: string): Promise<ControlPlaneFigures> {
  const size = quick ? CONTROL_PLANE_SIZES.quick : CONTROL_PLANE_SIZES.full;
  try {
    const { runControlPlaneBench } = await import('./control-plane/control-plane-bench.ts');
    // runControlPlaneBench removes its directory when done: give it one of its own.
    mkdirSync(dir, { recursive: true });
    const r = await runControlPlaneBench({ ...size, services: Math.max(1, Math.floor(size.agents / 5)) }, dir);
    return {
      available: true,
      agents: r.agents,
      saves: r.saves,
      saveToAppliedMs: { p50: r.saveToAppliedMs.p50, p99: r.saveToAppliedMs.p99, max: r.saveToAppliedMs.max },
      controlRss: r.controlRssMb ? { agents: r.controlRssMb.agents, idleKb: r.controlRssMb.idleMb * 1024, connectedKb: r.controlRssMb.connectedMb * 1024 } : null,
      agentRss: {
        agents: r.agentRssMb.agents,
        medianKb: r.agentRssMb.medianMb * 1024,
        maxKb: r.agentRssMb.maxMb * 1024,
        afterSavesMs: r.agentRssMb.afterSavesMs,
        idleAfterMs: r.agentRssMb.idleAfterMs,
        idleMedianKb: r.agentRssMb.idleMedianMb * 1024,
        idleMaxKb: r.agentRssMb.idleMaxMb * 1024,
        idlePrivateMedianKb: r.agentRssMb.idlePrivateMedianMb * 1024,
      },
      compile500: r.compile500,
      how: r.agentRunner,
      controlHow: r.controlRunner,
    };
  } catch (err) {
    return { available: false, reason: `not available: ${(err as Error).message.split('\n')[0]}` };
  }
}
