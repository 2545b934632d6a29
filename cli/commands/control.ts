/** `mesh control`: runs the control server in the foreground on the host (development, tests). */
import { resolveProject, type ProjectFlags } from '../project.ts';
import { connectEngine, socketPath } from '../engine.ts';
import { apiToken } from '../home.ts';
import { runControl } from '../../control/run-control.ts';
import { caDir, openCa } from '../ca-home.ts';

export interface ControlFlags extends ProjectFlags {
  host?: string;
  port?: string;
  agentPort?: string;
  agentImage?: string;
}

export async function control(flags: ControlFlags): Promise<number> {
  const docker = await connectEngine();
  const project = await resolveProject(docker, flags);
  const log = (msg: string, fields: Record<string, unknown> = {}) =>
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }) + '\n');
  await openCa();
  const { close, address } = await runControl({
    caDir: caDir(),
    project: project.name,
    apiToken: apiToken(),
    agentImage: flags.agentImage,
    host: flags.host ?? '127.0.0.1',
    port: flags.port ? Number(flags.port) : undefined,
    agentPort: flags.agentPort ? Number(flags.agentPort) : undefined,
    socketPath: socketPath(),
    log,
  });
  log('control listening', { address, project: project.name, inject: Boolean(flags.agentImage) });
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  await close();
  return 0;
}
