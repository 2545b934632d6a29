/**
 * Reads the CPU time and memory of a process and its descendants from /proc (Linux only).
 * A proxy's cost is the sum over its tree: nginx's master and worker, an agent and nothing else.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseProcStat, parseProcStatus, processTree, type ProcStat } from './proc-stat.ts';

/** Clock ticks per second for /proc/<pid>/stat CPU times (`getconf CLK_TCK`, almost always 100). */
export const CLK_TCK: number = (() => {
  try {
    const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return v > 0 ? v : 100;
  } catch {
    return 100;
  }
})();

/** Memory of a process tree in KiB. */
export interface TreeMemory {
  rssKb: number;
  hwmKb: number;
  /** Private (anonymous) RSS: see parseProcStatus. */
  anonKb: number;
}

/** CPU and memory meter of one process tree. */
export class ProcMeter {
  readonly root: number;
  private peakSampledKb = 0;
  private sampler: NodeJS.Timeout | undefined;
  private hwmResetWorks = false;

  constructor(root: number) {
    this.root = root;
  }

  /** pids of the tree now. */
  pids(): number[] {
    return processTree(allProcStats(), this.root);
  }

  /** utime + stime of the tree, in clock ticks. Children that already exited are not counted. */
  cpuTicks(): number {
    let sum = 0;
    for (const pid of this.pids()) {
      try {
        const st = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        sum += st.utimeTicks + st.stimeTicks;
      } catch {
        // gone
      }
    }
    return sum;
  }

  /** Current RSS and peak RSS (VmHWM) summed over the tree (or over `pids`, to skip the /proc scan). */
  memory(pids: readonly number[] = this.pids()): TreeMemory {
    let rssKb = 0;
    let hwmKb = 0;
    let anonKb = 0;
    for (const pid of pids) {
      try {
        const s = parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
        rssKb += s.vmRssKb;
        hwmKb += s.vmHwmKb;
        anonKb += s.rssAnonKb;
      } catch {
        // gone
      }
    }
    return { rssKb, hwmKb, anonKb };
  }

  /**
   * Starts a measurement window for peak memory: resets VmHWM (`echo 5 > /proc/<pid>/clear_refs`,
   * needs root or ownership) and samples VmRSS every `intervalMs` as a fallback and cross-check.
   */
  startPeakWindow(intervalMs = 100): void {
    this.stopPeakWindow();
    this.hwmResetWorks = true;
    const pids = this.pids();
    for (const pid of pids) {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        this.hwmResetWorks = false;
      }
    }
    this.peakSampledKb = this.memory(pids).rssKb;
    // The tree is fixed during a run (nginx does not fork per request): sample its pids, no /proc scan.
    this.sampler = setInterval(() => {
      this.peakSampledKb = Math.max(this.peakSampledKb, this.memory(pids).rssKb);
    }, intervalMs);
    this.sampler.unref();
  }

  /** Ends the window; returns the peak RSS of the tree during it, in KiB. */
  stopPeakWindow(): number {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
    const m = this.memory();
    const sampled = Math.max(this.peakSampledKb, m.rssKb);
    return this.hwmResetWorks ? Math.max(sampled, m.hwmKb) : sampled;
  }
}

/** /proc/<pid>/stat of every process now (those that exit while /proc is listed are left out). */
export function allProcStats(): ProcStat[] {
  const all: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      all.push(parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8')));
    } catch {
      // The process exited while we listed /proc.
    }
  }
  return all;
}
