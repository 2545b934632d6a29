/** `mesh up`: images, control container, one agent per app container, wait until all are ready. */
import type Docker from 'dockerode';
import type { AgentStatusView, StatusView } from '../../wire/types.ts';
import { connectEngine, socketPath } from '../engine.ts';
import { resolveProject, type ProjectFlags } from '../project.ts';
import { apiToken } from '../home.ts';
import { controlUrl, ensureControl } from '../control-container.ts';
import { ControlClient } from '../control-client.ts';
import { Progress } from '../progress.ts';
import { UserError } from '../errors.ts';
import { ensureImages } from '../images/ensure-images.ts';
import { meshfilePath } from '../meshfile-path.ts';
import { caDir, openCa } from '../ca-home.ts';

export interface UpFlags extends ProjectFlags {
  timeout?: string;
  json?: boolean;
  meshfile?: string;
}

async function firstNetwork(docker: Docker, containerId: string): Promise<string | undefined> {
  const info = await docker.getContainer(containerId).inspect();
  return Object.keys(info.NetworkSettings.Networks ?? {}).sort()[0];
}

/** Progress shows transitions (attached, ready, why not), not every config version. */
function describe(a: AgentStatusView): string {
  return a.ready ? 'agent ready' : `waiting: ${a.reason ?? 'not ready'}`;
}

export async function up(flags: UpFlags): Promise<number> {
  const progress = new Progress(flags.json);
  const docker = await connectEngine();
  const project = await resolveProject(docker, flags);
  progress.line(`mesh up: project ${project.name} (${project.containers.length} running containers)`);

  const images = await ensureImages({
    docker,
    onProgress: (p) => {
      if (p.step !== 'log') progress.step('images', `${p.image}: ${p.message}`);
    },
  }).catch((err: Error) => {
    throw new UserError('MESH_ERR_IMAGE_BUILD', `could not build dockmesh images: ${err.message}`, { cause: err });
  });

  const token = apiToken();
  await openCa(); // created once in $DOCKMESH_HOME/ca, reused by every project
  const created = await ensureControl(docker, {
    project: project.name,
    image: images.control,
    agentImage: images.agent,
    apiToken: token,
    projectDirectory: project.directory,
    network: await firstNetwork(docker, project.containers[0]!),
    meshfile: meshfilePath(flags.meshfile, project.directory),
    caDir: caDir(),
    socketPath: socketPath(),
  });
  const client = new ControlClient(await controlUrl(docker, project.name), token);
  const deadline = Date.now() + Number(flags.timeout ?? 60) * 1000;
  while (!(await client.healthy())) {
    if (Date.now() > deadline) throw new UserError('MESH_ERR_NOT_READY', 'control server did not answer: see `docker logs ' + project.name + '-mesh-control`');
    await new Promise((r) => setTimeout(r, 100));
  }
  progress.step('control', `${created ? 'started' : 'running'} at ${client.baseUrl}`);
  const mf = (await client.status()).meshfile;
  if (mf?.errors.length) {
    progress.step('meshfile', `${mf.errors.length} error(s): ${mf.errors.map((d) => `${d.file}:${d.line}:${d.column} ${d.code}`).join(', ')} (mesh check shows them)`);
  } else if (mf?.version) progress.step('meshfile', `${mf.file} applied${mf.warnings.length ? ` with ${mf.warnings.length} warning(s)` : ''}`);

  const shown = new Map<string, string>();
  let status: StatusView;
  for (;;) {
    status = await client.status();
    for (const a of status.agents) {
      const text = describe(a);
      if (shown.get(a.container) !== text) {
        shown.set(a.container, text);
        progress.step('agent', `${a.containerName}: ${text}`);
      }
    }
    const expected = status.agents.length;
    if (expected > 0 && status.agents.every((a) => a.ready)) break;
    if (Date.now() > deadline) {
      const stuck = status.agents.filter((a) => !a.ready).map((a) => `${a.containerName} (${a.reason ?? 'not ready'})`);
      throw new UserError(
        'MESH_ERR_NOT_READY',
        stuck.length ? `not ready after ${flags.timeout ?? 60}s: ${stuck.join(', ')}` : 'no app container to mesh (all opted out?)',
      );
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  if (flags.json) process.stdout.write(JSON.stringify(status, null, 2) + '\n');
  else {
    progress.line(
      `meshed ${status.agents.length} containers in ${progress.elapsed()} s (config version ${status.configVersion}): ` +
        '`mesh status` shows them, `mesh down` removes the mesh',
    );
  }
  return 0;
}
