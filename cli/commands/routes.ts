/** `mesh routes <service>`: the effective routes, policies, telemetry and inbound security the agent(s) of a service apply. */
import { connectEngine } from '../engine.ts';
import { resolveProject, type ProjectFlags } from '../project.ts';
import { controlClient } from '../control-container.ts';
import { apiToken } from '../home.ts';
import { table } from '../table.ts';
import { policyRows, routeRows, securityRows, telemetryRows } from '../route-view.ts';
import { UserError } from '../errors.ts';

export interface RoutesFlags extends ProjectFlags {
  json?: boolean;
}

export async function routes(service: string, flags: RoutesFlags): Promise<number> {
  const docker = await connectEngine();
  const project = await resolveProject(docker, flags);
  const client = await controlClient(docker, project.name, apiToken());
  const views = await client.snapshots(service);
  if (views.length === 0) throw new UserError('MESH_ERR_USAGE', `no meshed container of service "${service}" in project ${project.name} (mesh status lists them)`);
  if (flags.json) {
    process.stdout.write(JSON.stringify(views, null, 2) + '\n');
    return 0;
  }
  // Replicas of a service get the same routes; show the first, name the rest.
  const [first, ...rest] = views;
  const snap = first!.snapshot;
  if (!snap) throw new UserError('MESH_ERR_NOT_READY', `the agent of ${first!.containerName} has no snapshot yet`);
  const applied = first!.appliedVersion === snap.version ? 'applied' : `sent, agent has v${first!.appliedVersion}`;
  process.stdout.write(`${first!.containerName}: config v${snap.version} (${applied})${rest.length ? `; same for ${rest.map((v) => v.containerName).join(', ')}` : ''}\n\n`);
  process.stdout.write(table(['DESTINATION', 'MATCH', 'ROUTE', 'TIMEOUT', 'RETRIES'], routeRows(snap)));
  process.stdout.write('\n' + table(['DESTINATION', 'SUBSET', 'LABELS', 'POLICY'], policyRows(snap)));
  process.stdout.write('\n' + table(['TRAFFIC', 'TRACING', 'ACCESS LOG', 'METRICS'], telemetryRows(snap)));
  process.stdout.write('\n' + table(['INBOUND', 'IN FORCE'], securityRows(snap)));
  return 0;
}
