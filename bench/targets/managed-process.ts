/**
 * A child process the bench owns: optionally pinned to CPUs with taskset (which execs, so the pid
 * is the program's own), stdout kept as lines, stderr appended to a log file. `close()` sends SIGTERM
 * and waits, then SIGKILL; `destroy()` kills now. Both are idempotent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { ProcMeter } from '../proc/proc-meter.ts';

export interface ManagedProcessOptions {
  command: string;
  args: string[];
  /** CPU list for `taskset -c` (e.g. "0"); undefined: not pinned. */
  cpus?: string | undefined;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stderr (and stdout lines) are appended here. */
  logFile: string;
  /** Name for error messages. */
  name: string;
}

const live = new Set<ManagedProcess>();

/** Kills every process the bench still has running (for SIGINT and fatal errors). */
export function destroyAllProcesses(): void {
  for (const p of live) p.destroy();
}

export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  private readonly log: WriteStream;
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  private waiters: Array<() => void> = [];
  private readonly rl: Interface;

  constructor(o: ManagedProcessOptions) {
    this.name = o.name;
    const [cmd, args] = o.cpus !== undefined ? ['taskset', ['-c', o.cpus, o.command, ...o.args]] : [o.command, o.args];
    this.log = createWriteStream(o.logFile, { flags: 'a' });
    this.child = spawn(cmd as string, args as string[], {
      cwd: o.cwd,
      env: o.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stderr!.pipe(this.log, { end: false });
    this.rl = createInterface({ input: this.child.stdout! });
    this.rl.on('line', (line) => {
      this.lines.push(line);
      if (this.lines.length > 1000) this.lines.shift();
      if (!this.log.writableEnded) this.log.write(`[stdout] ${line}\n`);
      for (const w of this.waiters.splice(0)) w();
    });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        if (!this.log.writableEnded) this.log.write(`[spawn error] ${err.message}\n`);
        this.exitCode = -1;
        live.delete(this);
        for (const w of this.waiters.splice(0)) w();
        resolve(-1);
      });
      this.child.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        live.delete(this);
        for (const w of this.waiters.splice(0)) w();
        resolve(this.exitCode);
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name}: not started`);
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Resolves with the first stdout line (seen so far or later) that `match` accepts. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (const line of this.lines) {
          const v = match(line);
          if (v !== undefined) {
            clearTimeout(timer);
            resolve(v);
            return true;
          }
        }
        if (!this.running) {
          clearTimeout(timer);
          reject(new Error(`${this.name} exited (${this.exitCode}) before it was ready`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        reject(new Error(`${this.name} not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      const wait = (): void => {
        if (!check()) this.waiters.push(wait);
      };
      wait();
    });
  }

  /**
   * From now on, read stdout and throw it away (no line splitting, no log file): for a process
   * whose stdout is a per-request access log, so the bench's own cost stays small.
   */
  discardStdout(): void {
    this.rl.close();
    this.child.stdout!.resume();
  }

  /** Resolves with the exit code; kills the process if it outlives `timeoutMs`. */
  async wait(timeoutMs: number): Promise<number | null> {
    const timer = setTimeout(() => this.destroy(), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async close(graceMs = 3000): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.destroy(), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.log.end();
  }

  /** SIGKILL to the process and its descendants (nginx's workers would outlive a killed master). */
  destroy(): void {
    if (!this.running || this.child.pid === undefined) return;
    let tree: number[] = [this.child.pid];
    try {
      tree = new ProcMeter(this.child.pid).pids();
    } catch {
      // no /proc: the process alone
    }
    for (const pid of tree.reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
