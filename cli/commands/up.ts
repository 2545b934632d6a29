/** `mesh up`: images, control container, one agent per app container, wait until all are ready and configured. */
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

/**
 * Why the mesh is not in force yet, one entry per agent (pure); empty: every agent is ready and has
 * applied the newest snapshot the control server made for it, and no event of theirs waits to be
 * compiled, so each agent knows its peers as ready (mTLS to them). An agent that rejected its newest
 * snapshot runs its last good one and counts as settled: `mesh status` shows the NACK.
 */
export function notSettled(status: StatusView): string[] {
  const out: string[] = [];
  for (const a of status.agents) {
    if (!a.ready) out.push(`${a.containerName} (${a.reason ?? 'not ready'})`);
    else if (a.configVersion !== a.desiredVersion && !a.lastNack?.startsWith(`v${a.desiredVersion}:`)) {
      out.push(`${a.containerName} (config v${a.configVersion}, v${a.desiredVersion} sent)`);
    }
  }
  if (out.length === 0 && status.pushPending) out.push('the control server (agents\' events not pushed yet)');
  return out;
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
    const stuck = notSettled(status);
    if (expected > 0 && stuck.length === 0) break;
    if (Date.now() > deadline) {
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
