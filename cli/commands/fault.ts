/**
 * `mesh fault <service> --delay 2s|--abort 503 [--percent N] [--for 60s]`: a temporary fault on
 * every route to a service, without editing the meshfile; removed when it expires or on
 * `mesh fault --clear [service]`. `mesh fault --list` shows the active ones.
 */
import { durationFlag } from '../duration-flag.ts';
import { connectEngine } from '../engine.ts';
import { resolveProject, type ProjectFlags } from '../project.ts';
import { controlClient } from '../control-container.ts';
import { ControlApiError, ControlClient } from '../control-client.ts';
import { apiToken } from '../home.ts';
import { table } from '../table.ts';
import { UserError } from '../errors.ts';

export interface FaultFlags extends ProjectFlags {
  delay?: string;
  abort?: string;
  percent?: string;
  for?: string;
  clear?: boolean;
  list?: boolean;
  json?: boolean;
}

export async function fault(service: string | undefined, flags: FaultFlags): Promise<number> {
  if (!flags.clear && !flags.list) {
    if (!service) throw new UserError('MESH_ERR_USAGE', 'name the service: mesh fault <service> --delay 2s | --abort 503');
    if (!flags.delay && !flags.abort) throw new UserError('MESH_ERR_USAGE', 'give --delay DURATION or --abort STATUS (or both)');
  }
  const docker = await connectEngine();
  const project = await resolveProject(docker, flags);
  const client = await controlClient(docker, project.name, apiToken());
  if (flags.clear) {
    const { cleared } = await client.clearFaults(service);
    process.stdout.write(flags.json ? JSON.stringify({ cleared }) + '\n' : `cleared ${cleared} fault(s)\n`);
    return 0;
  }
  if (flags.list) {
    const list = await client.faults();
    if (flags.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    else {
      const rows = list.map((f) => [
        f.service,
        f.fault.delay ? `${f.fault.delay.fixedDelayMs}ms (${f.fault.delay.percent}%)` : '-',
        f.fault.abort ? `${f.fault.abort.httpStatus} (${f.fault.abort.percent}%)` : '-',
        `${Math.max(0, Math.round((f.expiresAt - Date.now()) / 1000))}s`,
      ]);
      process.stdout.write(rows.length ? table(['SERVICE', 'DELAY', 'ABORT', 'EXPIRES IN'], rows) : 'no active faults\n');
    }
    return 0;
  }
  const percent = flags.percent === undefined ? 100 : Number(flags.percent);
  const abortStatus = flags.abort === undefined ? undefined : Number(flags.abort);
  try {
    const f = await client.setFault({
      service: service!,
      delayMs: flags.delay ? durationFlag(flags.delay, '--delay') : undefined,
      abortStatus,
      percent,
      forMs: durationFlag(flags.for ?? '60s', '--for'),
    });
    if (flags.json) process.stdout.write(JSON.stringify(f) + '\n');
    else process.stdout.write(`fault on ${f.service} until ${new Date(f.expiresAt).toISOString()} (mesh fault --clear ${f.service} removes it)\n`);
  } catch (err) {
    if (err instanceof ControlApiError && err.status < 500) throw new UserError('MESH_ERR_USAGE', err.message);
    throw err;
  }
  return 0;
}
