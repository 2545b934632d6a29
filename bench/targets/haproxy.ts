/**
 * haproxy as a reverse proxy in front of the upstream (reference target).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcMeter } from '../proc/proc-meter.ts';
import { which } from '../tools.ts';
import { haproxyConfig } from './haproxy-config.ts';
import { ManagedProcess } from './managed-process.ts';
import { freePort, waitForPort } from './ports.ts';
import { TargetUnavailable, type TargetDef } from './target.ts';

export const haproxyTarget: TargetDef = {
  id: 'haproxy',
  title: 'haproxy',
  description: 'haproxy reverse proxy: nbthread 1, mode http, keep-alive, http-reuse always',
  async start(ctx) {
    const bin = which('haproxy');
    if (!bin) throw new TargetUnavailable('not available: haproxy is not installed');
    const dir = join(ctx.workDir, 'haproxy');
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig({ listenPort: port, upstreamPort: ctx.upstreamPort }));
    const args = ['-db', '-f', cfg];
    const proc = new ManagedProcess({ name: 'haproxy', command: bin, args, cpus: ctx.pinning.proxy, logFile: join(dir, 'stderr.log') });
    try {
      await waitForPort(port, 10_000, () => proc.running);
    } catch (err) {
      await proc.close();
      throw new TargetUnavailable(`not available: haproxy did not start (${(err as Error).message}; see ${dir})`);
    }
    return {
      port,
      host: 'up',
      meters: [new ProcMeter(proc.pid)],
      commands: [`${bin} ${args.join(' ')}`],
      alive: () => proc.running,
      close: () => proc.close(),
    };
  },
};
