/**
 * Parsers for the /proc files the bench reads to charge CPU and memory to a proxy. Pure: they take
 * the file text, so they are tested without a running process.
 */

/** The fields of /proc/<pid>/stat that the bench uses. CPU times are in clock ticks (CLK_TCK). */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  utimeTicks: number;
  stimeTicks: number;
  /** CPU of the process's children that exited and were waited for. */
  cutimeTicks: number;
  cstimeTicks: number;
}

/** Memory figures of /proc/<pid>/status, in KiB. */
export interface ProcStatus {
  /** Resident set size now. */
  vmRssKb: number;
  /** Peak resident set size since start or since the last `echo 5 > clear_refs`. */
  vmHwmKb: number;
  rssAnonKb: number;
}

/**
 * Parses /proc/<pid>/stat. The command name is in parentheses and may itself contain spaces and
 * parentheses, so fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // After ") ": field 3 (state) is index 0; utime is field 14, stime field 15.
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const num = (field: number): number => {
    const v = Number(rest[field - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc/<pid>/stat field ${field} missing in: ${text.slice(0, 80)}`);
    return v;
  };
  return {
    pid,
    comm,
    state: rest[0] ?? '?',
    ppid: num(4),
    utimeTicks: num(14),
    stimeTicks: num(15),
    cutimeTicks: num(16),
    cstimeTicks: num(17),
  };
}

/**
 * Parses VmRSS, VmHWM and RssAnon (the private, anonymous part of RSS: heap and stacks, without the
 * executable's and libraries' pages that every process of that binary shares) out of
 * /proc/<pid>/status. A kernel thread has none: all 0.
 */
export function parseProcStatus(text: string): ProcStatus {
  return { vmRssKb: kbField(text, 'VmRSS'), vmHwmKb: kbField(text, 'VmHWM'), rssAnonKb: kbField(text, 'RssAnon') };
}

function kbField(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * `root` and every process below it, given (pid, ppid) pairs of all processes (e.g. nginx's master
 * and its worker). Order: root first, then breadth-first.
 */
export function processTree(all: ReadonlyArray<{ pid: number; ppid: number }>, root: number): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of all) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out = [root];
  const seen = new Set(out);
  for (let i = 0; i < out.length; i++) {
    for (const child of children.get(out[i]!) ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        out.push(child);
      }
    }
  }
  return out;
}

/** CPU microseconds per request from a tick delta. NaN when nothing completed. */
export function cpuUsPerRequest(deltaTicks: number, clkTck: number, requests: number): number {
  if (!(requests > 0) || !(clkTck > 0)) return NaN;
  return (deltaTicks * 1e6) / clkTck / requests;
}
