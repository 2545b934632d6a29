/**
 * A reference proxy (nginx, haproxy) run from its Debian binary with a generated config file, on the
 * proxy core, measured by /proc: what the nginx and haproxy targets share.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcMeter } from '../proc/proc-meter.ts';
import { ManagedProcess } from './managed-process.ts';
import { freePort, waitForPort } from './ports.ts';
import { TargetUnavailable, type RunningTarget, type TargetContext } from './target.ts';
import { which } from '../tools.ts';

export interface ReferenceProxySpec {
  /** Binary and name: `nginx`, `haproxy`. */
  name: string;
  configFile: string;
  /** The config text for a proxy listening on `listenPort` in `dir`. */
  config(listenPort: number, upstreamPort: number, dir: string): string;
  /** Command-line arguments, given the config file's path and the working directory. */
  args(configPath: string, dir: string): string[];
}

export async function startReferenceProxy(spec: ReferenceProxySpec, ctx: TargetContext): Promise<RunningTarget> {
  const bin = which(spec.name);
  if (!bin) throw new TargetUnavailable(`not available: ${spec.name} is not installed`);
  const dir = join(ctx.workDir, spec.name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const configPath = join(dir, spec.configFile);
  writeFileSync(configPath, spec.config(port, ctx.upstreamPort, dir));
  const args = spec.args(configPath, dir);
  const proc = new ManagedProcess({ name: spec.name, command: bin, args, cpus: ctx.pinning.proxy, logFile: join(dir, 'stderr.log') });
  try {
    await waitForPort(port, 10_000, () => proc.running);
  } catch (err) {
    await proc.close();
    throw new TargetUnavailable(`not available: ${spec.name} did not start (${(err as Error).message}; see ${dir})`);
  }
  return {
    port,
    host: 'up',
    meters: [new ProcMeter(proc.pid)],
    commands: [`${bin} ${args.join(' ')}`],
    alive: () => proc.running,
    close: () => proc.close(),
  };
}
