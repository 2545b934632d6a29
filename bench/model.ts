/**
 * The shapes of the bench's results, as written to results.json. Types only.
 * Latencies are microseconds, memory KiB, CPU microseconds per request. `null`: not applicable
 * (direct has no proxy) or not measurable.
 */

export interface LatencyFigures {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** One run: one target under one load in one round. */
export interface RunSample {
  round: number;
  target: string;
  load: string;
  durationS: number;
  requests: number;
  requestsPerSec: number;
  latencyUs: LatencyFigures;
  errors: number;
  /** CPU of the proxy process(es) per completed request. */
  cpuUsPerRequest: number | null;
  /** CPU of the proxy process(es) over the run, in cores (CPU seconds / wall seconds). */
  cpuCores: number | null;
  /** CPU of the upstream per request (a cross-check that the upstream is not the bottleneck). */
  upstreamCpuUsPerRequest: number | null;
  /** Peak RSS of the proxy process(es) during the run. */
  peakRssKb: number | null;
  /** Fixed-rate only: how late the generator really sent (p50, p99). */
  sendLagUs?: { p50: number; p99: number };
  /** mTLS targets only: TLS handshakes between the agents during the run. */
  tls?: TlsCounts;
}

/** TLS handshakes the client agent made (full and resumed) and requests the server agent served. */
export interface TlsCounts {
  full: number;
  resumed: number;
  requests: number;
}

/** Medians over the rounds of one target × load. */
export interface Cell {
  target: string;
  load: string;
  rounds: number;
  requestsPerSec: number;
  latencyUs: LatencyFigures;
  /** Sum over rounds. */
  errors: number;
  requests: number;
  cpuUsPerRequest: number | null;
  cpuCores: number | null;
  upstreamCpuUsPerRequest: number | null;
  /** Highest peak over the rounds. */
  peakRssKb: number | null;
  sendLagUs?: { p50: number; p99: number };
  /** Sum over rounds. */
  tls?: TlsCounts;
}

export interface TargetInfo {
  id: string;
  title: string;
  /** How it is built, one line. */
  description: string;
  available: boolean;
  /** Why not, when not available. */
  reason?: string;
  /** Command lines of the proxy processes. */
  commands: string[];
  /** How it was run, when that varies. */
  note?: string;
  /** RSS of the proxy process(es) after start, 100 requests and a settle time without traffic, before any load. */
  idleRssKb: number | null;
  /** Its private (anonymous) part: without the binary's pages shared with every process of it. */
  idleAnonKb?: number | null;
  /** RSS when idle again after all runs. */
  idleRssAfterKb: number | null;
  /** The warm-up of each of its processes before it was measured (none in quick mode). */
  warmUps?: WarmUpRecord[];
  /** Processes started for the runs: 1, or one per round for a target started afresh each round. */
  processes?: number;
}

/** How a target was warmed up: runs at 50 connections until its throughput settled (bench/warm-up.ts). */
export interface WarmUpRecord {
  seconds: number;
  /** False: it hit the time limit still changing. */
  settled: boolean;
  /** Requests per second of each warm-up run. */
  requestsPerSec: number[];
}

export interface RatioRow {
  target: string;
  load: string;
  rpsVsDirect: number | null;
  rpsVsHaproxy: number | null;
  p50VsDirect: number | null;
  p99VsDirect: number | null;
  /** Latency added over direct, microseconds. */
  addedP50Us: number | null;
  addedP90Us: number | null;
  addedP99Us: number | null;
  cpuVsHaproxy: number | null;
  /** 1e6 / CPU µs per request: requests one fully used proxy core would serve. */
  rpsPerProxyCore: number | null;
  rpsPerCoreVsHaproxy: number | null;
}

/** `inconclusive`: measured, but the rounds disagree about the verdict (bench/report/goals.ts, pairedGoal). */
export type GoalStatus = 'pass' | 'fail' | 'inconclusive' | 'not measured';

export interface GoalCheck {
  goal: string;
  measured: string;
  status: GoalStatus;
}

/** A figure the harness has a row for but cannot measure yet. */
export interface PendingFigure {
  id: string;
  figure: string;
  needs: string;
}

/** Control-plane figures (bench/control-plane/): the control server with N process-mode agents. */
export type ControlPlaneFigures =
  | {
      available: true;
      /** Agents connected during the saves. */
      agents: number;
      saves: number;
      /** Meshfile written → every agent ACKed the new snapshot. */
      saveToAppliedMs: { p50: number; p99: number; max: number };
      /** Control server RSS before any agent and with `agents` connected. */
      controlRss: { agents: number; idleKb: number; connectedKb: number } | null;
      /**
       * RSS of the agents connected during the saves, `afterSavesMs` after them (2 s when absent, as
       * in older results), and once idle (the idle figures are absent in results from before they
       * were recorded; the whole of it in older ones still).
       */
      agentRss?: { agents: number; medianKb: number; maxKb: number; afterSavesMs?: number; idleAfterMs?: number; idleMedianKb?: number; idleMaxKb?: number; idlePrivateMedianKb?: number };
      /** Load (parse + validate) and compile of a 500-route meshfile, medians, ms. */
      compile500: { loadMs: number; compileMs: number; routes: number };
      /** How the agents ran. */
      how: string;
      /** How the control server ran (absent in results from before it was recorded: through tsx). */
      controlHow?: string;
    }
  | { available: false; reason: string };

/** `mesh up` on examples/shop and replica start → agent ready, on the real engine (bench/mesh-up/). */
export type MeshUpFigures =
  | {
      available: true;
      containers: number;
      meshUpMs: number[];
      replicaReadyMs: number[];
      /** The agent containers idle after the last `mesh up` (absent in results from before it was recorded). */
      sidecars?: { idleAfterMs: number; containers: SidecarMemory[] };
    }
  | { available: false; reason: string };

/** The two processes of an agent container (docs/agent.md, Container mode). */
export type SidecarRole = 'capture-manager' | 'proxy';

/** One agent container's memory (bench/mesh-up/sidecar-memory.ts). */
export interface SidecarMemory {
  /** What `docker stats` shows: the cgroup's usage less its inactive file cache, both processes. */
  usageKb: number;
  /** Its processes from this machine's /proc (absent when the engine runs in a VM). */
  processes?: Array<{ role: SidecarRole; rssKb: number; anonKb: number }>;
}

export interface BenchResults {
  schema: 1;
  mode: 'full' | 'quick';
  date: string;
  elapsedS: number;
  /** Load averages before and after the data-path runs (the control-plane step's own agents excluded). */
  machine: {
    cpuModel: string;
    cores: number;
    kernel: string;
    loadavgStart: string;
    loadavgEnd: string;
    /** Cores used, on average over the data-path runs, by processes outside the bench's tree. */
    otherCores?: number;
    /** Cores the hypervisor took from this VM over the same time. */
    stealCores?: number;
    /**
     * haproxy's CPU per request at saturation in the full run in bench/results.json when this run
     * started (full runs only): how fast the machine ran then (see report/results-md.ts slowerNote).
     */
    speedReference?: { date: string; haproxyCpuUsPerRequest: number };
  };
  versions: Record<string, string>;
  settings: {
    rounds: number;
    durationsS: Record<string, number>;
    pinning: string;
    upstreamBodyBytes: number;
    argv: string[];
  };
  loads: Array<{ id: string; title: string; what: string }>;
  targets: TargetInfo[];
  samples: RunSample[];
  cells: Cell[];
  ratios: RatioRow[];
  goals: GoalCheck[];
  /** Absent: not run (--no-control-plane, or results from before it existed). */
  controlPlane?: ControlPlaneFigures;
  meshUp?: MeshUpFigures;
  pending: PendingFigure[];
}
