/**
 * The project's control container, `<project>-mesh-control`: started by `mesh up` with the Docker
 * socket and the project directory (read-only) mounted, its API published on 127.0.0.1 only.
 */
import type Docker from 'dockerode';
import { LABELS, PORTS } from '../wire/types.ts';
import { UserError } from './errors.ts';
import { ControlClient } from './control-client.ts';
import { dirname } from 'node:path';

export interface ControlContainerOptions {
  project: string;
  image: string;
  agentImage: string;
  apiToken: string;
  projectDirectory: string;
  /**
   * The project's networks, the one to create it on first. It joins the others before it starts:
   * joined later, a network whose name sorts first becomes its default gateway and Docker moves its
   * published port to another host port. Networks the project adds later it joins itself.
   */
  networks?: readonly string[];
  /** Absolute path of the meshfile (it may not exist yet); mounted read-only with its directory. */
  meshfile?: string;
  /** The local CA's directory on the host, mounted read-only. */
  caDir?: string;
  socketPath: string;
  /** Where agents send traces when the meshfile names no collector (the stack's Jaeger). */
  defaultTracingEndpoint?: string;
}

export function controlName(project: string): string {
  return `${project}-mesh-control`;
}

/** Pure: create options of the control container. */
export function controlSpec(o: ControlContainerOptions): Record<string, unknown> {
  const name = controlName(o.project);
  const port = `${PORTS.control}/tcp`;
  const binds = [`${o.socketPath}:/var/run/docker.sock`];
  if (o.projectDirectory && o.projectDirectory !== '/') binds.push(`${o.projectDirectory}:${o.projectDirectory}:ro`);
  const meshDir = o.meshfile ? dirname(o.meshfile) : undefined;
  if (meshDir && meshDir !== o.projectDirectory && meshDir !== '/') binds.push(`${meshDir}:${meshDir}:ro`);
  if (o.caDir) binds.push(`${o.caDir}:/var/lib/dockmesh/ca:ro`);
  // A named volume Docker creates on first use: what the control server keeps across its restarts.
  binds.push(`${stateVolume(o.project)}:/var/lib/dockmesh/state`);
  return {
    name,
    Image: o.image,
    Env: [
      `DOCKMESH_PROJECT=${o.project}`,
      `DOCKMESH_API_TOKEN=${o.apiToken}`,
      `DOCKMESH_AGENT_IMAGE=${o.agentImage}`,
      `DOCKMESH_SELF=${name}`,
      `DOCKMESH_PROJECT_DIR=${o.projectDirectory}`,
      `DOCKMESH_MESHFILE=${o.meshfile ?? ''}`,
      `DOCKMESH_CA_DIR=${o.caDir ? '/var/lib/dockmesh/ca' : ''}`,
      'DOCKMESH_STATE_DIR=/var/lib/dockmesh/state',
      `DOCKMESH_DEFAULT_TRACING_ENDPOINT=${o.defaultTracingEndpoint ?? ''}`,
    ],
    Labels: { [LABELS.role]: 'control', [LABELS.project]: o.project },
    ExposedPorts: { [port]: {} },
    HostConfig: {
      Binds: binds,
      PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
      NetworkMode: o.networks?.[0] ?? 'bridge',
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
    },
  };
}

/** Finds the control container of `project` (running or not). */
export async function findControl(docker: Docker, project: string): Promise<Docker.ContainerInfo | undefined> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.role}=control`, `${LABELS.project}=${project}`] },
  });
  return list[0];
}

/** The host URL of a running control container's API. */
export async function controlUrl(docker: Docker, project: string): Promise<string> {
  const c = await findControl(docker, project);
  if (!c || c.State !== 'running') {
    throw new UserError('MESH_ERR_NOT_RUNNING', `dockmesh is not running in project "${project}": run mesh up`);
  }
  const info = await docker.getContainer(c.Id).inspect();
  const binding = info.NetworkSettings.Ports?.[`${PORTS.control}/tcp`]?.[0];
  if (!binding?.HostPort) throw new UserError('MESH_ERR_NOT_RUNNING', `control container of "${project}" publishes no API port`);
  return `http://127.0.0.1:${binding.HostPort}`;
}

/** A client of the project's control API that finds it again if Docker moves its published port. */
export async function controlClient(docker: Docker, project: string, token: string): Promise<ControlClient> {
  return new ControlClient(await controlUrl(docker, project), token, () => controlUrl(docker, project));
}

/** Starts the control container, replacing one that runs another image. Returns true if (re)created. */
export async function ensureControl(docker: Docker, o: ControlContainerOptions): Promise<boolean> {
  const existing = await findControl(docker, o.project);
  if (existing) {
    const env = existing.State === 'running' ? (await docker.getContainer(existing.Id).inspect()).Config.Env ?? [] : [];
    const sameSettings = env.includes(`DOCKMESH_MESHFILE=${o.meshfile ?? ''}`) && env.includes(`DOCKMESH_DEFAULT_TRACING_ENDPOINT=${o.defaultTracingEndpoint ?? ''}`);
    if (existing.State === 'running' && existing.Image === o.image && sameSettings) return false;
    await removeControl(docker, o.project);
  }
  const c = await docker.createContainer(controlSpec(o) as Docker.ContainerCreateOptions);
  for (const net of o.networks?.slice(1) ?? []) await docker.getNetwork(net).connect({ Container: c.id });
  await c.start();
  return true;
}

/** The control server's volume (the Canaries' states), removed by `mesh down`. */
export const stateVolume = (project: string): string => `${project}-mesh-state`;

/** Removes the control server's volume; true if there was one. */
export async function removeStateVolume(docker: Docker, project: string): Promise<boolean> {
  try {
    await docker.getVolume(stateVolume(project)).remove();
    return true;
  } catch {
    return false;
  }
}

/** Stops and removes the control container. Returns true if there was one. */
export async function removeControl(docker: Docker, project: string): Promise<boolean> {
  const existing = await findControl(docker, project);
  if (!existing) return false;
  const c = docker.getContainer(existing.Id);
  try {
    await c.stop({ t: 5 });
  } catch {
    // not running
  }
  await c.remove({ force: true });
  return true;
}
