/**
 * What a benchmark target is: something that listens on a loopback port and forwards to the
 * upstream (or is the upstream, for direct), plus the processes whose CPU and memory it costs.
 */
import type { TlsCounts } from '../model.ts';
import type { ProcMeter } from '../proc/proc-meter.ts';
import type { Pinning } from '../plan.ts';

export interface TargetContext {
  repoRoot: string;
  /** Where the agent's source is bundled from: the repository, or the `--base` revision's tree. */
  agentRoot?: string;
  /** Scratch directory for configs and logs (bench/.work/<run>). */
  workDir: string;
  pinning: Pinning;
  upstreamPort: number;
}

export interface RunningTarget {
  /** Loopback port the load generator sends to. */
  port: number;
  /** Host header to send. */
  host: string;
  /** Further request headers every request sends (`Name: value`), e.g. a JWT. */
  headers?: readonly string[];
  /** One meter per proxy process tree (none for direct). */
  meters: ProcMeter[];
  /** Command lines of the proxy processes, for RESULTS.md. */
  commands: string[];
  /** How it was run, when that varies (e.g. the agent: bundle or tsx, Node flags). */
  note?: string;
  /** mTLS targets: cumulative TLS handshakes between the agents and requests served, read before and after each run. */
  tlsCounters?(): Promise<TlsCounts>;
  /** False once a process of the target has exited. */
  alive(): boolean;
  close(): Promise<void>;
}

export interface TargetDef {
  id: string;
  title: string;
  description: string;
  /** A variant of another target: left out of `--quick` unless named in `--targets`. */
  fullRunOnly?: boolean;
  /**
   * Started afresh (and warmed up again) for every round: a JIT-compiled proxy whose speed varies
   * from one process to the next, so the median over rounds is also one over processes.
   */
  freshEachRound?: boolean;
  /** Starts the target and returns once it forwards; throws `TargetUnavailable` when it cannot. */
  start(ctx: TargetContext): Promise<RunningTarget>;
}

/** The target cannot run here; `message` says why, in one line, for its row in RESULTS.md. */
export class TargetUnavailable extends Error {
  override name = 'TargetUnavailable';
}
