/**
 * `mesh down`: removes the control container (so nothing re-attaches) and the observability stack, stops every agent (each
 * removes its own rules on SIGTERM), then checks every app namespace for a leftover dockmesh rule
 * and removes any it finds. App containers are never stopped or changed.
 */
import type Docker from 'dockerode';
import { LABELS } from '../../wire/types.ts';
import { connectEngine } from '../engine.ts';
import { resolveProject, type ProjectFlags } from '../project.ts';
import { findControl, removeControl, removeStateVolume } from '../control-container.ts';
import { Progress } from '../progress.ts';
import { UserError } from '../errors.ts';
import { cleanupScript, dockmeshLines } from '../leftover-rules.ts';
import { runInNamespace, SAVE_NAT } from '../namespace-probe.ts';
import { removeStack } from '../observability-stack.ts';

export interface DownFlags extends ProjectFlags {
  json?: boolean;
}

async function probeImage(docker: Docker, project: string, agents: Docker.ContainerInfo[]): Promise<string | undefined> {
  if (agents[0]) return agents[0].Image;
  const control = await findControl(docker, project);
  if (control) {
    const env = (await docker.getContainer(control.Id).inspect()).Config.Env ?? [];
    const img = env.find((e) => e.startsWith('DOCKMESH_AGENT_IMAGE='));
    if (img) return img.slice('DOCKMESH_AGENT_IMAGE='.length);
  }
  const images = await docker.listImages({ filters: { label: ['dockmesh.image=agent'] } });
  return images[0]?.RepoTags?.[0];
}

export async function down(flags: DownFlags): Promise<number> {
  const progress = new Progress(flags.json);
  const docker = await connectEngine();
  const project = await resolveProject(docker, flags);
  progress.line(`mesh down: project ${project.name}`);
  const agents = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.role}=agent`, `${LABELS.project}=${project.name}`] },
  });
  const image = await probeImage(docker, project.name, agents);

  if (await removeControl(docker, project.name)) progress.step('control', 'removed');
  if (await removeStateVolume(docker, project.name)) progress.step('control', 'state volume removed (canary states)');
  for (const name of await removeStack(docker, project.name)) progress.step('stack', `${name} removed`);
  await Promise.all(
    agents.map(async (a) => {
      const c = docker.getContainer(a.Id);
      await c.stop({ t: 10 }).catch(() => {});
      await c.remove({ force: true }).catch(() => {});
      progress.step('agent', `${(a.Names[0] ?? a.Id).replace(/^\//, '')} removed`);
    }),
  );

  const leftovers: string[] = [];
  if (image) {
    for (const id of project.containers) {
      const save = await runInNamespace(docker, image, id, SAVE_NAT);
      if (dockmeshLines(save).length === 0) continue;
      await runInNamespace(docker, image, id, cleanupScript(save));
      const again = await runInNamespace(docker, image, id, SAVE_NAT);
      if (dockmeshLines(again).length) leftovers.push(id.slice(0, 12));
      else progress.step('rules', `${id.slice(0, 12)}: removed rules an agent had left behind`);
    }
    progress.step('verify', `no dockmesh iptables rule in ${project.containers.length - leftovers.length} app namespaces`);
  }
  if (leftovers.length) {
    throw new UserError('MESH_ERR_LEFTOVER_RULES', `dockmesh iptables rules remain in: ${leftovers.join(', ')}`);
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify({ project: project.name, agentsRemoved: agents.length, verified: project.containers.length }) + '\n');
  } else progress.line(`removed ${agents.length} agents; app containers untouched`);
  return 0;
}
