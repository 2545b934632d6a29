/**
 * What the results were measured on: CPU model, cores, kernel, load average (a busy machine makes
 * noisy numbers; the load average at start and end says how busy).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';
import { allProcStats } from './proc/proc-meter.ts';
import { processTree, type ProcStat } from './proc/proc-stat.ts';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  let model = cpus()[0]?.model ?? '';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1]!.trim();
  } catch {
    // not Linux
  }
  return { cpuModel: model || 'unknown', cores: availableParallelism(), kernel: release() };
}

/** The 1, 5 and 15 minute load averages, as /proc/loadavg gives them. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

/**
 * CPU time charged to the bench: its own process and every live descendant, each with the CPU of
 * its children that already exited (wrk runs, closed targets). Pure over parsed /proc/<pid>/stat.
 */
export function benchTreeTicks(stats: readonly ProcStat[], root: number): number {
  const tree = new Set(processTree(stats, root));
  return stats.filter((s) => tree.has(s.pid)).reduce((a, s) => a + s.utimeTicks + s.stimeTicks + s.cutimeTicks + s.cstimeTicks, 0);
}

/**
 * The machine's CPU ticks so far: busy in processes (user, nice, system: what processes' utime and
 * stime add up to; interrupt time is left out, loopback traffic's softirqs land there), stolen by
 * the hypervisor, and the bench's own.
 */
export interface CpuAccount {
  busyTicks: number;
  stealTicks: number;
  benchTicks: number;
  atMs: number;
}

export function cpuAccount(): CpuAccount | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , , , steal = 0] = cpu;
    return { busyTicks: user + nice + system, stealTicks: steal, benchTicks: benchTreeTicks(allProcStats(), process.pid), atMs: performance.now() };
  } catch {
    return undefined;
  }
}

/** Cores used by processes outside the bench, and stolen by the hypervisor, between two accounts. */
export function otherWork(a: CpuAccount | undefined, b: CpuAccount | undefined, clkTck: number): { otherCores: number; stealCores: number } | undefined {
  if (!a || !b || b.atMs <= a.atMs) return undefined;
  const s = (b.atMs - a.atMs) / 1000;
  const other = Math.max(0, b.busyTicks - a.busyTicks - (b.benchTicks - a.benchTicks));
  return { otherCores: other / clkTck / s, stealCores: (b.stealTicks - a.stealTicks) / clkTck / s };
}
