/**
 * Starts the loopback OTLP sink (otlp-sink-server.ts) for targets with tracing on, on the upstream's
 * core (the proxy's core stays the agent's alone), and reads its counts at the end.
 */
import { join } from 'node:path';
import { ManagedProcess } from './managed-process.ts';
import type { TargetContext } from './target.ts';
import { getJson } from './loopback-get.ts';

export interface OtlpSink {
  /** The traces URL to give the agent. */
  url: string;
  /** Export requests and body bytes received so far. */
  stats(): Promise<{ requests: number; bytes: number }>;
  close(): Promise<void>;
}

export async function startOtlpSink(ctx: TargetContext, name: string): Promise<OtlpSink> {
  const proc = new ManagedProcess({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', join(ctx.repoRoot, 'bench/targets/otlp-sink-server.ts')],
    cpus: ctx.pinning.upstream,
    cwd: ctx.repoRoot,
    logFile: join(ctx.workDir, `${name}.log`),
  });
  let port: number;
  try {
    port = await proc.waitForLine((l) => {
      try {
        const v = JSON.parse(l) as { port?: unknown };
        return typeof v.port === 'number' && v.port > 0 ? v.port : undefined;
      } catch {
        return undefined;
      }
    }, 15_000);
  } catch (err) {
    await proc.close();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    stats: () => getJson(port, '/stats') as Promise<{ requests: number; bytes: number }>,
    close: () => proc.close(),
  };
}

