/**
 * Control-plane figures on loopback, with real processes: the control server (its own process,
 * a synthetic project) and N agents in process mode connected to it.
 * - meshfile save → applied in every agent (every agent ACKed the new snapshot), p50/p99 over saves;
 * - control server RSS with N agents connected;
 * - meshfile load + compile time for a 500-route meshfile (in this process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONTROL_PLANE_WAITS, IDLE_SETTLE_MS, type ControlPlaneWaits } from '../plan.ts';
import { createInterface } from 'node:readline';
import { agentRunner, bundledRunner, type BundledProgram } from '../targets/bundled-runner.ts';
import { parseProcStatus } from '../proc/proc-stat.ts';
import { percentile } from '../stats/percentiles.ts';
import { loadMeshfile } from '../../control/meshfile/load-meshfile.ts';
import { compileServiceRoutes } from '../../control/compile/routes.ts';
import { hostLookup } from '../../control/meshfile/host-resolver.ts';
import { syntheticMeshfile } from '../../control/meshfile/synthetic-meshfile.ts';
import type { StatusView } from '../../wire/types.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The control server as compose/control/Dockerfile runs it, with control-process.ts as the entry. */
export const CONTROL_PROGRAM: BundledProgram = {
  name: 'control-bench',
  entry: 'bench/control-plane/control-process.ts',
  label: 'control/ with a synthetic project in place of Docker (bench/control-plane/control-process.ts)',
  dockerfile: 'compose/control/Dockerfile',
  flagsEnv: 'BENCH_CONTROL_NODE_FLAGS',
};

export interface ControlPlaneOptions {
  agents: number;
  services: number;
  saves: number;
  /** Agents for the memory figure (more agents, no saves). 0: skip. */
  memoryAgents: number;
  /** How long the agents sit without saves before their idle reading (default: a full run's {@link IDLE_SETTLE_MS}). */
  agentIdleMs?: number;
  /** Quiet times around the memory readings (default: a full run's, plan.ts {@link CONTROL_PLANE_WAITS}). */
  waits?: ControlPlaneWaits;
  /** Runs of the 500-route load and compile, of which the median counts (default 5). */
  compileRuns?: number;
}

export interface ControlPlaneResults {
  agents: number;
  saves: number;
  saveToAppliedMs: { p50: number; p99: number; max: number; samples: number[] };
  controlRssMb: { agents: number; idleMb: number; connectedMb: number } | null;
  /**
   * RSS of the agents connected during the saves (as in containers, where every agent has a control
   * connection): `afterSavesMs` after the last save, and again once they have sat idle for
   * `idleAfterMs` more (with the private part, `RssAnon`).
   */
  agentRssMb: { agents: number; medianMb: number; maxMb: number; afterSavesMs: number; idleAfterMs: number; idleMedianMb: number; idleMaxMb: number; idlePrivateMedianMb: number };
  compile500: { loadMs: number; compileMs: number; routes: number };
  agentRunner: string;
  /** How the control server ran. */
  controlRunner: string;
}

/** A meshfile whose svc-0 split is `w`/`100-w`: every agent calls svc-0, so every agent changes. */
function splitMeshfile(w: number): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: svc-0}
spec:
  hosts: [svc-0]
  http:
  - route:
    - destination: {host: svc-0, subset: v1}
      weight: ${w}
    - destination: {host: svc-0, subset: v2}
      weight: ${100 - w}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: svc-0}
spec:
  host: svc-0
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;
}

async function firstLine(child: ChildProcess, what: string, timeoutMs = 60_000): Promise<string> {
  const rl = createInterface({ input: child.stdout! });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no output in ${timeoutMs} ms`)), timeoutMs);
    rl.once('line', (line) => {
      clearTimeout(timer);
      rl.close();
      resolvePromise(line);
    });
    child.once('exit', (code) => reject(new Error(`${what} exited ${code}`)));
  });
}

/** RSS and its private part, MB. */
function memoryMb(pid: number): { rss: number; anon: number } {
  const st = parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { rss: st.vmRssKb / 1024, anon: st.rssAnonKb / 1024 };
}


/** The control server and its agents as child processes (killed by `close`). */
export class ControlPlane {
  readonly children: ChildProcess[] = [];
  control!: ChildProcess;
  base = '';

  async startControl(nodeArgs: string[], count: number, services: number, meshfile: string, env: Record<string, string> = {}): Promise<void> {
    this.control = spawn(process.execPath, [...nodeArgs, String(count), String(services), meshfile], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.children.push(this.control);
    this.base = (JSON.parse(await firstLine(this.control, 'control')) as { address: string }).address;
  }

  async startAgents(count: number, nodeArgs: string[], env: Record<string, string> = {}): Promise<void> {
    for (let i = 0; i < count; i++) {
      const a = spawn(
        process.execPath,
        [...nodeArgs, '--capture', 'none', '--control-url', this.base, '--container', `bench-${i}`, '--token', `token-bench-${i}`,
          '--admin-port', '0', '--inbound', `${20000 + i}=0`, '--access-log', 'off'],
        { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      a.stdout!.resume();
      this.children.push(a);
    }
  }

  async status(): Promise<StatusView> {
    const r = await fetch(`${this.base}/v1/status`, { headers: { authorization: 'Bearer bench-cli' } });
    return (await r.json()) as StatusView;
  }

  /** Polls until every agent has ACKed what was sent and `extra` holds. */
  async settled(extra: (s: StatusView) => boolean, timeoutMs: number, pollMs = 2): Promise<StatusView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.status();
      if (s.agents.length && s.agents.every((a) => a.ready && a.configVersion === a.desiredVersion) && extra(s)) return s;
      if (Date.now() > deadline) {
        const stuck = s.agents.filter((a) => !(a.ready && a.configVersion === a.desiredVersion)).slice(0, 3);
        throw new Error(`control plane did not settle in ${timeoutMs} ms: meshfile v${s.meshfile?.version} ${JSON.stringify(s.meshfile?.errors ?? [])}; ${JSON.stringify(stuck)}`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  close(): void {
    for (const c of this.children) c.kill('SIGKILL');
  }
}

/** Load and compile time of a 500-route meshfile, medians of `runs`. */
export function measureCompile(runs = 5): ControlPlaneResults['compile500'] {
  const text = syntheticMeshfile({ routes: 500, services: 20 });
  const loads: number[] = [];
  const compiles: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = loadMeshfile(text, 'bench.yaml');
    const t1 = performance.now();
    if (!r.valid) throw new Error('synthetic meshfile invalid');
    const lookup = hostLookup();
    for (let s = 0; s < 20; s++) compileServiceRoutes(r.spec, { name: `svc-${s}`, namespace: 'default', hosts: [`svc-${s}`] }, lookup);
    compiles.push(performance.now() - t1);
    loads.push(t1 - t0);
  }
  return { loadMs: percentile(loads, 50), compileMs: percentile(compiles, 50), routes: 500 };
}

export async function runControlPlaneBench(o: ControlPlaneOptions, workDir = mkdtempSync(join(tmpdir(), 'dm-cp-'))): Promise<ControlPlaneResults> {
  const runner = agentRunner(ROOT, workDir);
  const control = bundledRunner(ROOT, workDir, CONTROL_PROGRAM);
  const meshfile = join(workDir, 'mesh.yaml');
  writeFileSync(meshfile, splitMeshfile(90));
  const waits = o.waits ?? CONTROL_PLANE_WAITS.full;
  const cp = new ControlPlane();
  try {
    await cp.startControl(control.nodeArgs, o.agents, o.services, meshfile, control.env);
    await cp.startAgents(o.agents, runner.nodeArgs, runner.env);
    await cp.settled((s) => s.agents.length === o.agents && (s.meshfile?.version ?? 0) >= 1, 120_000, 50);
    const samples: number[] = [];
    for (let i = 0; i < o.saves; i++) {
      const before = await cp.status();
      const mv = before.meshfile!.version;
      const t0 = performance.now();
      writeFileSync(meshfile, splitMeshfile(i % 2 ? 90 : 10 + (i % 7)));
      await cp.settled((s) => s.meshfile!.version > mv, 10_000);
      samples.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, waits.afterSavesMs));
    const agents = cp.children.filter((c) => c !== cp.control);
    const agentRss = agents.map((c) => memoryMb(c.pid!).rss).sort((a, b) => a - b);
    const idleAfterMs = o.agentIdleMs ?? IDLE_SETTLE_MS.full;
    await new Promise((r) => setTimeout(r, idleAfterMs));
    const idle = agents.map((c) => memoryMb(c.pid!));
    const idleRss = idle.map((m) => m.rss).sort((a, b) => a - b);
    const agentRssMb = {
      agents: agentRss.length,
      medianMb: percentile(agentRss, 50),
      maxMb: agentRss.at(-1)!,
      afterSavesMs: waits.afterSavesMs,
      idleAfterMs,
      idleMedianMb: percentile(idleRss, 50),
      idleMaxMb: idleRss.at(-1)!,
      idlePrivateMedianMb: percentile(idle.map((m) => m.anon).sort((a, b) => a - b), 50),
    };
    cp.close();

    let controlRssMb: ControlPlaneResults['controlRssMb'] = null;
    if (o.memoryAgents > 0) {
      const mem = new ControlPlane();
      try {
        await mem.startControl(control.nodeArgs, o.memoryAgents, o.services, meshfile, control.env);
        await new Promise((r) => setTimeout(r, waits.controlIdleMs));
        const idleMb = memoryMb(mem.control.pid!).rss;
        await mem.startAgents(o.memoryAgents, runner.nodeArgs, runner.env);
        await mem.settled((s) => s.agents.length === o.memoryAgents, 180_000, 100);
        await new Promise((r) => setTimeout(r, waits.connectedMs));
        controlRssMb = { agents: o.memoryAgents, idleMb, connectedMb: memoryMb(mem.control.pid!).rss };
      } finally {
        mem.close();
      }
    }
    return {
      agents: o.agents,
      saves: o.saves,
      saveToAppliedMs: { p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples), samples },
      controlRssMb,
      agentRssMb,
      compile500: measureCompile(o.compileRuns),
      agentRunner: runner.how,
      controlRunner: control.how,
    };
  } finally {
    cp.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}
