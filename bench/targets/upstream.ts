/**
 * Starts the upstream process (upstream-server.ts) pinned to its own core.
 */
import { join } from 'node:path';
import { ProcMeter } from '../proc/proc-meter.ts';
import { ManagedProcess } from './managed-process.ts';

/** Body size of every upstream response, as in the anchors. */
export const UPSTREAM_BODY_BYTES = 64;

export interface Upstream {
  port: number;
  meter: ProcMeter;
  process: ManagedProcess;
  close(): Promise<void>;
}

export async function startUpstream(repoRoot: string, workDir: string, cpus: string | undefined): Promise<Upstream> {
  const proc = new ManagedProcess({
    name: 'upstream',
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, 'bench/targets/upstream-server.ts'), String(UPSTREAM_BODY_BYTES)],
    cpus,
    cwd: repoRoot,
    logFile: join(workDir, 'upstream.log'),
  });
  try {
    const port = await proc.waitForLine((l) => parsePort(l), 15_000);
    return { port, meter: new ProcMeter(proc.pid), process: proc, close: () => proc.close() };
  } catch (err) {
    await proc.close();
    throw err;
  }
}

function parsePort(line: string): number | undefined {
  try {
    const v = JSON.parse(line) as { port?: unknown };
    return typeof v.port === 'number' && v.port > 0 ? v.port : undefined;
  } catch {
    return undefined;
  }
}
