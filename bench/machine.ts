/**
 * What the results were measured on: CPU model, cores, kernel, load average (a busy machine makes
 * noisy numbers; the load average at start and end says how busy).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release } from 'node:os';

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
