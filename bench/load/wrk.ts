/**
 * Runs wrk against a loopback port and parses what it prints. Bounded: wrk's own -d, and a kill
 * if it outlives that by 15 s.
 */
import { join } from 'node:path';
import { ManagedProcess } from '../targets/managed-process.ts';
import { which } from '../tools.ts';
import { parseWrkOutput, type WrkResult } from './wrk-output.ts';

export interface WrkRunOptions {
  port: number;
  host: string;
  connections: number;
  threads: number;
  /** Whole seconds (wrk takes integers); rounded, at least 1. */
  durationS: number;
  /** Send `Connection: close` so every request opens a new connection. */
  closeEach: boolean;
  /** Further request headers (`Name: value`). */
  headers?: readonly string[];
  cpus: string | undefined;
  logFile: string;
}

const REPORT_LUA = join(import.meta.dirname, 'wrk-report.lua');

/** wrk's argument list for these options (without taskset). Pure. */
export function wrkArgs(o: Omit<WrkRunOptions, 'cpus' | 'logFile'>): string[] {
  const seconds = Math.max(1, Math.round(o.durationS));
  const args = [
    '-t', String(Math.max(1, Math.min(o.threads, o.connections))),
    '-c', String(o.connections),
    '-d', `${seconds}s`,
    '--timeout', '5s',
    '--latency',
    '-s', REPORT_LUA,
    '-H', `Host: ${o.host}`,
  ];
  for (const h of o.headers ?? []) args.push('-H', h);
  if (o.closeEach) args.push('-H', 'Connection: close');
  args.push(`http://127.0.0.1:${o.port}/`);
  return args;
}

export async function runWrk(o: WrkRunOptions): Promise<WrkResult> {
  const bin = which('wrk');
  if (!bin) throw new Error('wrk is not installed');
  const proc = new ManagedProcess({ name: 'wrk', command: bin, args: wrkArgs(o), cpus: o.cpus, logFile: o.logFile });
  const code = await proc.wait((Math.max(1, Math.round(o.durationS)) + 15) * 1000);
  await proc.close();
  const text = proc.lines.join('\n');
  if (code !== 0) throw new Error(`wrk exited ${code}: ${text.slice(-300)}`);
  return parseWrkOutput(text);
}
