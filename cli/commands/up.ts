/** `mesh up`: images, control container, one agent per app container, wait until all are ready and configured. */
import type Docker from 'dockerode';
import type { AgentStatusView, StatusView } from '../../wire/types.ts';
import { connectEngine, socketPath } from '../engine.ts';
import { resolveProject, type ProjectFlags } from '../project.ts';
import { apiToken } from '../home.ts';
import { controlClient, ensureControl } from '../control-container.ts';
import { Progress } from '../progress.ts';
import { UserError } from '../errors.ts';
import { ensureImages } from '../images/ensure-images.ts';
import { meshfilePath } from '../meshfile-path.ts';
import { caDir, openCa } from '../ca-home.ts';
import { ensureStack, jaegerTracesUrl, STACK, resolveStackImages, stackViews, type StackImage, type StackView } from '../observability-stack.ts';

export interface UpFlags extends ProjectFlags {
  timeout?: string;
  json?: boolean;
  meshfile?: string;
  /** Also start the bundled Prometheus, Jaeger and Grafana. */
  observability?: boolean;
}

async function networksOf(docker: Docker, containerId: string): Promise<string[]> {
  const info = await docker.getContainer(containerId).inspect();
  return Object.keys(info.NetworkSettings.Networks ?? {}).sort();
}

/** Every network of the project's containers, the first container's first network first (the control server's). */
async function projectNetworks(docker: Docker, containers: string[]): Promise<string[]> {
  const all = new Set<string>();
  for (const id of containers) for (const n of await networksOf(docker, id)) all.add(n);
  const first = (await networksOf(docker, containers[0]!))[0];
  return [...(first ? [first] : []), ...[...all].filter((n) => n !== first).sort()];
}

/** Exits in a row after which `mesh up` stops waiting for an agent (the control server keeps restarting it). */
const CRASH_LOOP_EXITS = 3;

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

  let stackImages: StackImage[] | undefined;
  if (flags.observability) {
    stackImages = await resolveStackImages(docker, process.env, (c, m) => progress.step('stack', `${c}: ${m}`));
    for (const s of stackImages) if (!s.image) progress.step('stack', `${s.component}: not started: ${'reason' in s ? s.reason : ''}`);
  }
  // The control server sends agents' traces to the stack's Jaeger unless the meshfile names a collector.
  const withJaeger = stackImages
    ? stackImages.some((s) => s.component === 'jaeger' && s.image)
    : (await stackViews(docker, project.name)).some((v) => v.component === 'jaeger' && v.state === 'running');

  const token = apiToken();
  await openCa(); // created once in $DOCKMESH_HOME/ca, reused by every project
  const networks = await projectNetworks(docker, project.containers);
  const created = await ensureControl(docker, {
    project: project.name,
    image: images.control,
    agentImage: images.agent,
    apiToken: token,
    projectDirectory: project.directory,
    networks,
    meshfile: meshfilePath(flags.meshfile, project.directory),
    caDir: caDir(),
    socketPath: socketPath(),
    defaultTracingEndpoint: withJaeger ? jaegerTracesUrl(project.name) : undefined,
  });
  const client = await controlClient(docker, project.name, token);
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
  if (stackImages) await ensureStack(docker, { project: project.name, networks, images: stackImages }, (c, m) => progress.step('stack', `${c}: ${m}`));

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
    // Agents that keep exiting will not settle by waiting: say why now.
    const crashing = status.agents.filter((a) => !a.ready && (a.exits ?? 0) >= CRASH_LOOP_EXITS);
    if (crashing.length > 0 && crashing.length === stuck.length) {
      throw new UserError('MESH_ERR_NOT_READY', `agents keep exiting: ${crashing.map((a) => `${a.containerName} (${a.reason})`).join(', ')}`);
    }
    if (Date.now() > deadline) {
      throw new UserError(
        'MESH_ERR_NOT_READY',
        stuck.length ? `not ready after ${flags.timeout ?? 60}s: ${stuck.join(', ')}` : 'no app container to mesh (all opted out?)',
      );
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  const stack: StackView[] = stackImages ? await stackViews(docker, project.name) : [];
  for (const v of stack) if (v.url) progress.step('stack', `${v.component}: ${v.url}  ${v.what}`);
  for (const s of stackImages ?? []) {
    if ('reason' in s) stack.push({ component: s.component, container: '', image: '', state: 'not started', what: STACK[s.component].what, reason: s.reason });
  }
  if (flags.json) process.stdout.write(JSON.stringify(stackImages ? { ...status, observability: stack } : status, null, 2) + '\n');
  else {
    progress.line(
      `meshed ${status.agents.length} containers in ${progress.elapsed()} s (config version ${status.configVersion}): ` +
        '`mesh status` shows them, `mesh down` removes the mesh',
    );
  }
  return 0;
}
