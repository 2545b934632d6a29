/**
 * The bench run: starts the upstream and every target, warms them, runs the planned rounds (targets
 * alternating), and assembles the results. I/O; the figures are computed by the pure report/ modules.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { touch } from './load/touch.ts';
import { runWrk } from './load/wrk.ts';
import { loadDuration, LOADS, type LoadSpec } from './loads.ts';
import { cpuAccount, loadAverage, machineInfo, otherWork } from './machine.ts';
import { CLK_TCK } from './proc/proc-meter.ts';
import { measureRun } from './measure.ts';
import type { BenchResults, ControlPlaneFigures, MeshUpFigures, RunSample, TargetInfo } from './model.ts';
import type { BenchOptions } from './options.ts';
import { IDLE_SETTLE_MS, pauseAfterRun, planPinning, planRuns } from './plan.ts';
import { WARM_UP, warmUpUntilSettled } from './warm-up.ts';
import { aggregate } from './report/aggregate.ts';
import { checkGoals } from './report/goals.ts';
import { stillPending } from './report/pending.ts';
import { measureControlPlane } from './control-plane-run.ts';
import { measureMeshUp } from './mesh-up-run.ts';
import { ratioRows } from './report/ratios.ts';
import { agentHopMetricsLogTarget, agentHopObservedSampledTarget, agentHopObservedTarget, agentHopTarget, agentPairJwtTarget, agentPairMtlsTarget, agentPairTarget } from './targets/agent.ts';
import { directTarget } from './targets/direct.ts';
import { haproxyTarget } from './targets/haproxy.ts';
import { nginxTarget } from './targets/nginx.ts';
import { TargetUnavailable, type RunningTarget, type TargetDef } from './targets/target.ts';
import { startUpstream, UPSTREAM_BODY_BYTES } from './targets/upstream.ts';
import { ensureTools, toolVersions, which } from './tools.ts';
import { BASE_SUFFIX, extractBase, withBaseVariants } from './base-tree.ts';

/** Every target, in table order. */
export const TARGETS: readonly TargetDef[] = [
  directTarget,
  nginxTarget,
  haproxyTarget,
  agentHopTarget,
  agentHopObservedTarget,
  agentHopObservedSampledTarget,
  agentHopMetricsLogTarget,
  agentPairTarget,
  agentPairMtlsTarget,
  agentPairJwtTarget,
];

/** Scratch directories of past runs kept in bench/.work (logs to look at after a surprise). */
const KEEP_RUNS = 5;

export interface HarnessOutcome {
  results: BenchResults;
  /** Runs that failed for a reason other than an unavailable target (a crash mid-run, a wrk error). */
  failures: string[];
  /** Scratch directory of the run (configs, logs; profiles with --profile). */
  workDir: string;
}

export async function runBench(o: BenchOptions, repoRoot: string, log: (s: string) => void): Promise<HarnessOutcome> {
  const t0 = performance.now();
  const date = new Date().toISOString();
  const loadavgStart = loadAverage();
  const cpuStart = cpuAccount();
  const failures: string[] = [];
  const stillMissing = ensureTools(['wrk', 'nginx', 'haproxy', 'taskset'], log);
  for (const m of stillMissing) log(`warning: ${m}`);
  if (!which('wrk')) throw new Error('wrk is missing and could not be installed: no load can run');

  const machine = machineInfo();
  const pinning = planPinning(machine.cores, o.pin && which('taskset') !== undefined);
  const loads = pick(LOADS, o.loads, 'load');
  // Quick mode (CI smoke, < 60 s) leaves out variants of a target unless asked for by name.
  const picked = pick(TARGETS, o.targets, 'target').filter((d) => !(o.quick && d.fullRunOnly && !o.targets));
  const durations = Object.fromEntries(loads.map((l) => [l.id, wrkSeconds(l, o)]));
  const workRoot = join(repoRoot, 'bench/.work');
  const workDir = join(workRoot, date.replace(/[:.]/g, '-'));
  mkdirSync(workDir, { recursive: true });
  pruneOldRuns(workRoot, KEEP_RUNS);
  log(`pinning: ${pinning.note}; scratch: ${workDir}`);
  let defs = picked;
  if (o.base !== undefined) {
    const baseRoot = join(workDir, 'base-tree');
    const commit = extractBase(repoRoot, o.base, baseRoot);
    defs = withBaseVariants(picked, baseRoot, commit);
    log(`base: ${o.base} (${commit.slice(0, 12)}) in ${baseRoot}: ${defs.filter((d) => d.id.endsWith(BASE_SUFFIX)).map((d) => d.id).join(', ') || 'no agent target'}`);
  }

  const upstream = await startUpstream(repoRoot, workDir, pinning.upstream);
  const running = new Map<string, RunningTarget>();
  const infos: TargetInfo[] = [];
  const samples: RunSample[] = [];
  try {
    // Every target starts at once (each on its own ports and scratch directory): the slowest start,
    // not their sum. `running` keeps the targets' order, which the run plan follows.
    const started = await Promise.all(
      defs.map(async (def) => {
        const info: TargetInfo = { id: def.id, title: def.title, description: def.description, available: false, commands: [], idleRssKb: null, idleRssAfterKb: null };
        infos.push(info);
        try {
          const t = await def.start({ repoRoot, workDir, pinning, upstreamPort: upstream.port });
          try {
            await touch(t.port, t.host, 100);
          } catch (err) {
            await t.close();
            throw new Error(`started but failed 100 sequential requests: ${(err as Error).message}`);
          }
          info.available = true;
          info.commands = t.commands;
          if (t.note) info.note = t.note;
          log(`${def.id}: ready on 127.0.0.1:${t.port}`);
          return t;
        } catch (err) {
          info.reason = err instanceof TargetUnavailable ? err.message : `failed to start: ${(err as Error).message}`;
          if (!(err instanceof TargetUnavailable)) failures.push(`${def.id}: ${info.reason}`);
          log(`${def.id}: ${info.reason}`);
          return undefined;
        }
      }),
    );
    defs.forEach((def, i) => {
      const t = started[i];
      if (t) running.set(def.id, t);
    });

    // Idle memory once every target has sat without traffic for a while, as it would between bursts
    // in a mesh (V8 shrinks its heap when idle; right after start it still holds start-up garbage).
    await sleep(o.quick ? IDLE_SETTLE_MS.quick : IDLE_SETTLE_MS.full);
    for (const info of infos) {
      const t = running.get(info.id);
      if (!t?.meters.length) continue;
      const mem = t.meters.map((m) => m.memory());
      info.idleRssKb = mem.reduce((a, m) => a + m.rssKb, 0);
      info.idleAnonKb = mem.reduce((a, m) => a + m.anonKb, 0);
      log(`${info.id}: idle RSS ${(info.idleRssKb / 1024).toFixed(1)} MB (private ${(info.idleAnonKb / 1024).toFixed(1)} MB)`);
    }

    // Warm-up: JIT, connection pools, page cache; until throughput settles. Not recorded. Skipped in
    // quick mode (time budget).
    const warmUp = async (id: string, t: RunningTarget): Promise<void> => {
      const info = infos.find((i) => i.id === id)!;
      try {
        const record = await warmUpUntilSettled(async () => {
          const r = await runWrk({ port: t.port, host: t.host, headers: t.headers, connections: 50, threads: pinning.loadThreads, durationS: WARM_UP.stepS, closeEach: false, cpus: pinning.load, logFile: join(workDir, `warmup-${id}.log`) });
          return r.requestsPerSec;
        });
        (info.warmUps ??= []).push(record);
        log(`${id}: warm-up ${record.seconds} s${record.settled ? '' : ' (not settled)'}: ${record.requestsPerSec.join(', ')} req/s`);
      } catch (err) {
        log(`${id}: warm-up failed: ${(err as Error).message}`);
      }
    };
    for (const [id, t] of o.quick ? [] : running) await warmUp(id, t);
    for (const info of infos) if (info.available) info.processes = 1;

    /**
     * A new process for each target started afresh every round (not in quick mode: one round). As
     * for the first processes: all are started, then one settle time without traffic, then each
     * warm-up in turn.
     */
    const restart = async (round: number): Promise<void> => {
      const fresh: string[] = [];
      for (const def of defs) {
        const old = running.get(def.id);
        if (!def.freshEachRound || !old || o.quick) continue;
        await old.close();
        running.delete(def.id);
        const info = infos.find((i) => i.id === def.id)!;
        try {
          const t = await def.start({ repoRoot, workDir, pinning, upstreamPort: upstream.port });
          running.set(def.id, t);
          info.processes = (info.processes ?? 1) + 1;
          fresh.push(def.id);
          log(`${def.id}: round ${round + 1}: a fresh process`);
        } catch (err) {
          const why = `${def.id}: restart for round ${round + 1} failed: ${(err as Error).message}`;
          failures.push(why);
          info.reason = why;
          log(why);
        }
      }
      if (fresh.length === 0) return;
      await sleep(IDLE_SETTLE_MS.full);
      for (const id of fresh) await warmUp(id, running.get(id)!);
    };

    const plan = planRuns(o.rounds, loads.map((l) => l.id), [...running.keys()]);
    const ctx = { workDir, pinning, upstream: upstream.meter };
    for (const [n, run] of plan.entries()) {
      if (n > 0 && run.round !== plan[n - 1]!.round) await restart(run.round);
      const t = running.get(run.target);
      if (!t) continue; // dropped after a failure
      const load = loads.find((l) => l.id === run.load)!;
      const label = `[${n + 1}/${plan.length}] round ${run.round + 1} ${run.load} ${run.target}`;
      try {
        const s = await measureRun(t, run.target, load, durations[load.id]!, run.round, ctx);
        samples.push(s);
        log(`${label}: ${Math.round(s.requestsPerSec)} req/s, p50 ${Math.round(s.latencyUs.p50)} µs, p99 ${Math.round(s.latencyUs.p99)} µs` +
          (s.cpuUsPerRequest != null ? `, ${s.cpuUsPerRequest.toFixed(1)} CPU µs/req` : '') + (s.errors ? `, ${s.errors} errors` : ''));
      } catch (err) {
        const why = `${label} failed: ${(err as Error).message}`;
        failures.push(why);
        log(why);
        const info = infos.find((i) => i.id === run.target)!;
        if (!t.alive()) {
          info.reason = `crashed during ${run.load}, round ${run.round + 1}`;
          running.delete(run.target);
          await t.close();
        }
      }
      await sleep(pauseAfterRun(load, o.quick));
    }
    for (const info of infos) {
      const t = running.get(info.id);
      if (t?.meters.length) info.idleRssAfterKb = t.meters.reduce((a, m) => a + m.memory().rssKb, 0);
    }
  } finally {
    await Promise.all([...running.values()].map((t) => t.close()));
    await upstream.close();
  }

  // Before the control-plane step, whose 100 agents would count in the load average themselves.
  const loadavgEnd = loadAverage();
  const other = otherWork(cpuStart, cpuAccount(), CLK_TCK);
  // After the data path, with its processes gone: it starts up to 100 agents of its own.
  let controlPlane: ControlPlaneFigures | undefined;
  if (o.controlPlane) {
    log('control plane: control server and agents on loopback');
    controlPlane = await measureControlPlane(o.quick, join(workDir, 'control-plane'));
    log(controlPlane.available
      ? `control plane: save → applied in ${controlPlane.agents} agents p50 ${controlPlane.saveToAppliedMs.p50.toFixed(0)} ms, p99 ${controlPlane.saveToAppliedMs.p99.toFixed(0)} ms`
      : `control plane: ${controlPlane.reason}`);
  }

  // mesh up and replica readiness on the real engine: full runs only (quick mode stays < 60 s).
  let meshUp: MeshUpFigures | undefined;
  if (o.controlPlane && !o.quick) {
    log('mesh up: examples/shop on the Docker engine');
    meshUp = await measureMeshUp();
    log(meshUp.available ? `mesh up: ${meshUp.meshUpMs.map((x) => (x / 1000).toFixed(1)).join(', ')} s; replica ready ${meshUp.replicaReadyMs.join(', ')} ms` : `mesh up: ${meshUp.reason}`);
  }

  const cells = aggregate(samples);
  const ratios = ratioRows(cells);
  const results: BenchResults = {
    schema: 1,
    mode: o.quick ? 'quick' : 'full',
    date,
    elapsedS: (performance.now() - t0) / 1000,
    machine: { ...machine, loadavgStart, loadavgEnd, ...(other ?? {}) },
    versions: toolVersions(),
    settings: { rounds: o.rounds, durationsS: durations, pinning: pinning.note, upstreamBodyBytes: UPSTREAM_BODY_BYTES, argv: process.argv.slice(2) },
    loads: loads.map((l) => ({ id: l.id, title: l.title, what: l.what })),
    targets: infos,
    samples,
    cells,
    ratios,
    goals: checkGoals({ cells, ratios, targets: infos, samples, controlPlane, meshUp }),
    ...(controlPlane ? { controlPlane } : {}),
    ...(meshUp ? { meshUp } : {}),
    pending: stillPending(controlPlane, meshUp),
  };
  return { results, failures, workDir };
}

function wrkSeconds(l: LoadSpec, o: BenchOptions): number {
  const d = loadDuration(l, o.quick, o.durationS);
  return l.kind === 'wrk' ? Math.max(1, Math.round(d)) : d;
}

function pick<T extends { id: string }>(all: readonly T[], ids: string[] | undefined, what: string): T[] {
  if (!ids) return [...all];
  for (const id of ids) if (!all.some((x) => x.id === id)) throw new Error(`unknown ${what} "${id}" (known: ${all.map((x) => x.id).join(', ')})`);
  return all.filter((x) => ids.includes(x.id));
}

/** Removes all but the newest `keep` run directories (named by ISO date, so they sort by time). */
function pruneOldRuns(root: string, keep: number): void {
  const runs = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{4}-\d\d-\d\dT/.test(d.name))
    .map((d) => d.name)
    .sort();
  for (const name of runs.slice(0, Math.max(0, runs.length - keep))) rmSync(join(root, name), { recursive: true, force: true });
}
