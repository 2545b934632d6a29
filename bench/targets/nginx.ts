/**
 * nginx as a reverse proxy in front of the upstream (reference target).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcMeter } from '../proc/proc-meter.ts';
import { ManagedProcess } from './managed-process.ts';
import { nginxConfig } from './nginx-config.ts';
import { freePort, waitForPort } from './ports.ts';
import { TargetUnavailable, type TargetDef } from './target.ts';
import { which } from '../tools.ts';

export const nginxTarget: TargetDef = {
  id: 'nginx',
  title: 'nginx',
  description: 'nginx reverse proxy: 1 worker, upstream keepalive 64, access log off',
  async start(ctx) {
    const bin = which('nginx');
    if (!bin) throw new TargetUnavailable('not available: nginx is not installed');
    const dir = join(ctx.workDir, 'nginx');
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, nginxConfig({ listenPort: port, upstreamPort: ctx.upstreamPort, dir }));
    const args = ['-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', conf];
    const proc = new ManagedProcess({ name: 'nginx', command: bin, args, cpus: ctx.pinning.proxy, logFile: join(dir, 'stderr.log') });
    try {
      await waitForPort(port, 10_000, () => proc.running);
    } catch (err) {
      await proc.close();
      throw new TargetUnavailable(`not available: nginx did not start (${(err as Error).message}; see ${dir})`);
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
