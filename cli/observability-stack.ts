/**
 * The bundled observability stack of `mesh up --observability`: Prometheus (scrapes every agent,
 * found through the control server's http_sd), Jaeger (the agents' default trace collector) and
 * Grafana (both as provisioned datasources, dockmesh's dashboards), one container each,
 * `<project>-mesh-<component>`, on the project's networks, UIs published on 127.0.0.1 only.
 * Configuration comes from compose/observability/ and is copied into the containers before they
 * start (no bind mount: works with a remote engine or Docker Desktop's file sharing off).
 * See docs/observability.md, "The bundled stack".
 */
import type Docker from 'dockerode';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LABELS, PORTS } from '../wire/types.ts';
import { ImageEngine } from './images/image-engine.ts';
import { DEFAULT_ROOT } from './images/image-options.ts';
import { ensureHostPrometheusImage } from './images/ensure-prometheus-image.ts';
import { tarArchive, type TarEntry } from './images/tar-archive.ts';
import { contentHash } from './images/content-hash.ts';
import { controlName } from './control-container.ts';

export type StackComponent = 'prometheus' | 'jaeger' | 'grafana';
/** In start order: Grafana's datasources name the other two. */
export const STACK_COMPONENTS: readonly StackComponent[] = ['prometheus', 'jaeger', 'grafana'];

/** Label naming a stack container's component (besides `dockmesh.role=observability`). */
export const COMPONENT_LABEL = 'dockmesh.component';
/** Label with the hash of the files copied in: a changed dashboard or datasource recreates the container. */
const CONFIG_HASH_LABEL = 'dockmesh.config-hash';

interface ComponentInfo {
  /** Pinned default image (a registry's); the environment variable overrides it. */
  defaultImage: string;
  imageEnv: string;
  /** The UI / API port, published on 127.0.0.1. */
  port: number;
  what: string;
}

export const STACK: Readonly<Record<StackComponent, ComponentInfo>> = {
  prometheus: { defaultImage: 'prom/prometheus:v2.55.1', imageEnv: 'DOCKMESH_PROMETHEUS_IMAGE', port: 9090, what: 'metrics of every agent' },
  jaeger: { defaultImage: 'jaegertracing/jaeger:2.1.0', imageEnv: 'DOCKMESH_JAEGER_IMAGE', port: 16686, what: 'traces (the agents\' default collector)' },
  grafana: { defaultImage: 'grafana/grafana:11.3.0', imageEnv: 'DOCKMESH_GRAFANA_IMAGE', port: 3000, what: 'dashboards: dockmesh / Mesh, dockmesh / Service' },
};

/** Jaeger's OTLP/HTTP receiver port. */
export const JAEGER_OTLP_HTTP_PORT = 4318;

export function stackName(project: string, c: StackComponent): string {
  return `${project}-mesh-${c}`;
}

/** Where the agents send traces when the stack's Jaeger runs (resolved on the project's network). */
export function jaegerTracesUrl(project: string): string {
  return `http://${stackName(project, 'jaeger')}:${JAEGER_OTLP_HTTP_PORT}/v1/traces`;
}

/** Pure: create options of one stack container. */
export function stackSpec(c: StackComponent, o: { project: string; image: string; network?: string }): Record<string, unknown> {
  const { port } = STACK[c];
  const exposed: Record<string, object> = { [`${port}/tcp`]: {} };
  const common = {
    name: stackName(o.project, c),
    Image: o.image,
    Labels: { [LABELS.role]: 'observability', [LABELS.project]: o.project, [COMPONENT_LABEL]: c },
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: { [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
      NetworkMode: o.network ?? 'bridge',
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
    },
  };
  switch (c) {
    case 'prometheus':
      return {
        ...common,
        Cmd: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=1d', '--web.listen-address=:9090'],
      };
    case 'jaeger':
      // Jaeger 2's built-in all-in-one configuration; its OTLP receivers listened on localhost only
      // before 2.x defaulted to 0.0.0.0, so they are opened to the project's network explicitly.
      return {
        ...common,
        Cmd: ['--set', `receivers.otlp.protocols.http.endpoint=0.0.0.0:${JAEGER_OTLP_HTTP_PORT}`, '--set', 'receivers.otlp.protocols.grpc.endpoint=0.0.0.0:4317'],
      };
    case 'grafana':
      return {
        ...common,
        Env: [
          `DOCKMESH_PROMETHEUS_URL=http://${stackName(o.project, 'prometheus')}:${STACK.prometheus.port}`,
          `DOCKMESH_JAEGER_URL=http://${stackName(o.project, 'jaeger')}:${STACK.jaeger.port}`,
          // A local, single-user Grafana: no login, as Istio's and Linkerd's sample add-ons.
          'GF_AUTH_ANONYMOUS_ENABLED=true',
          'GF_AUTH_ANONYMOUS_ORG_ROLE=Admin',
          'GF_AUTH_DISABLE_LOGIN_FORM=true',
          'GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH=/etc/dockmesh/dashboards/mesh.json',
          'GF_ANALYTICS_REPORTING_ENABLED=false',
          'GF_ANALYTICS_CHECK_FOR_UPDATES=false',
          'GF_NEWS_NEWS_FEED_ENABLED=false',
        ],
      };
  }
}

/** Pure: the Prometheus configuration, from compose/observability/prometheus.yml. */
export function renderPrometheusConfig(template: string, project: string): string {
  return template.replaceAll('${DOCKMESH_CONTROL}', `${controlName(project)}:${PORTS.control}`);
}

/** The files copied into a component's container before it starts (paths without a leading `/`). */
export async function stackFiles(c: StackComponent, o: { project: string; withJaeger: boolean; root?: string }): Promise<TarEntry[]> {
  const dir = join(o.root ?? DEFAULT_ROOT, 'compose', 'observability');
  const file = async (path: string, from: string): Promise<TarEntry> => ({ type: 'file', path, mode: 0o644, contents: await readFile(join(dir, from)) });
  switch (c) {
    case 'prometheus':
      return [{ type: 'file', path: 'etc/prometheus/prometheus.yml', mode: 0o644, contents: renderPrometheusConfig(await readFile(join(dir, 'prometheus.yml'), 'utf8'), o.project) }];
    case 'jaeger':
      return [];
    case 'grafana': {
      const out = [
        await file('etc/grafana/provisioning/datasources/dockmesh-prometheus.yaml', 'grafana/provisioning/datasources/prometheus.yaml'),
        await file('etc/grafana/provisioning/dashboards/dockmesh.yaml', 'grafana/provisioning/dashboards/dockmesh.yaml'),
      ];
      if (o.withJaeger) out.push(await file('etc/grafana/provisioning/datasources/dockmesh-jaeger.yaml', 'grafana/provisioning/datasources/jaeger.yaml'));
      for (const name of (await readdir(join(dir, 'grafana', 'dashboards'))).filter((n) => n.endsWith('.json')).sort()) {
        out.push(await file(`etc/dockmesh/dashboards/${name}`, `grafana/dashboards/${name}`));
      }
      return out;
    }
  }
}

/** Which image a component runs, or why none. */
export type StackImage = { component: StackComponent; image: string; source: string } | { component: StackComponent; image?: undefined; reason: string };

/**
 * Picks each component's image: the `DOCKMESH_<COMPONENT>_IMAGE` override, else the pinned default
 * when it is local or a registry serves it; for Prometheus, else one assembled from this host's own
 * Prometheus (Debian's package). A component with none is left out, with the reason.
 */
export async function resolveStackImages(
  docker: Docker,
  env: NodeJS.ProcessEnv = process.env,
  onProgress: (component: StackComponent, message: string) => void = () => {},
): Promise<StackImage[]> {
  const engine = new ImageEngine(docker);
  const out: StackImage[] = [];
  for (const component of STACK_COMPONENTS) {
    const info = STACK[component];
    const ref = env[info.imageEnv]?.trim() || info.defaultImage;
    const from = env[info.imageEnv]?.trim() ? ` (${info.imageEnv})` : '';
    if (await engine.imageId(ref)) {
      out.push({ component, image: ref, source: `local${from}` });
      continue;
    }
    onProgress(component, `pulling ${ref}${from}`);
    if (await engine.tryPull(ref)) {
      out.push({ component, image: ref, source: `pulled${from}` });
      continue;
    }
    if (component === 'prometheus' && !from) {
      const host = await ensureHostPrometheusImage({
        docker,
        onProgress: (p) => {
          if (p.step === 'build' || p.step === 'done') onProgress(component, p.message);
        },
      });
      if (host) {
        out.push({ component, image: host, source: 'assembled from this host\'s Prometheus' });
        continue;
      }
    }
    out.push({ component, reason: `${ref} is not local and no registry serves it${component === 'prometheus' ? ' (nor is Prometheus installed on this host)' : ''}; set ${info.imageEnv} to an image the engine has` });
  }
  return out;
}

/** The stack's containers of `project` (running or not). */
export async function findStack(docker: Docker, project: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABELS.role}=observability`, `${LABELS.project}=${project}`] } });
}

const componentOf = (c: Docker.ContainerInfo): StackComponent | undefined => {
  const v = c.Labels?.[COMPONENT_LABEL];
  return STACK_COMPONENTS.find((s) => s === v);
};

/** One component of a running stack, as `mesh dashboard` and `mesh up` show it. */
export interface StackView {
  component: StackComponent;
  container: string;
  image: string;
  state: string;
  /** Host URL of its UI (127.0.0.1), when it runs and publishes its port. */
  url?: string;
  what: string;
  /** `mesh up`: why a component was not started (no image); then `state` is `not started`. */
  reason?: string;
}

/** What of the stack runs for `project`, with host URLs. */
export async function stackViews(docker: Docker, project: string): Promise<StackView[]> {
  const views: StackView[] = [];
  for (const c of await findStack(docker, project)) {
    const component = componentOf(c);
    if (!component) continue;
    const binding = c.Ports?.find((p) => p.PrivatePort === STACK[component].port && p.PublicPort && p.IP === '127.0.0.1');
    views.push({
      component,
      container: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      image: c.Image,
      state: c.State,
      ...(c.State === 'running' && binding ? { url: `http://127.0.0.1:${binding.PublicPort}` } : {}),
      what: STACK[component].what,
    });
  }
  return views.sort((a, b) => STACK_COMPONENTS.indexOf(a.component) - STACK_COMPONENTS.indexOf(b.component));
}

async function removeContainer(docker: Docker, id: string): Promise<void> {
  const c = docker.getContainer(id);
  await c.stop({ t: 5 }).catch(() => {});
  // v: the images' anonymous volumes (Prometheus' TSDB) go with the container.
  await c.remove({ force: true, v: true }).catch(() => {});
}

/**
 * Starts the components that have an image (keeping one that already runs the same image),
 * on `networks[0]`, joined to the others so that Prometheus reaches every agent.
 */
export async function ensureStack(
  docker: Docker,
  o: { project: string; networks: string[]; images: StackImage[]; root?: string },
  onProgress: (component: StackComponent, message: string) => void = () => {},
): Promise<void> {
  const existing = await findStack(docker, o.project);
  const withJaeger = o.images.some((i) => i.component === 'jaeger' && i.image);
  for (const pick of o.images) {
    if (!pick.image) continue;
    const component = pick.component;
    const files = await stackFiles(component, { project: o.project, withJaeger, root: o.root });
    const hash = contentHash(files.map((f) => ({ name: f.path, content: 'contents' in f ? f.contents : '' })));
    const old = existing.find((c) => componentOf(c) === component);
    if (old?.State === 'running' && old.Image === pick.image && old.Labels?.[CONFIG_HASH_LABEL] === hash) {
      onProgress(component, 'running');
      continue;
    }
    if (old) await removeContainer(docker, old.Id);
    const spec = stackSpec(component, { project: o.project, image: pick.image, network: o.networks[0] }) as Docker.ContainerCreateOptions;
    spec.Labels = { ...spec.Labels, [CONFIG_HASH_LABEL]: hash };
    const created = await docker.createContainer(spec);
    if (files.length) await created.putArchive(tarArchive(files), { path: '/' });
    for (const net of o.networks.slice(1)) await docker.getNetwork(net).connect({ Container: created.id });
    await created.start();
    onProgress(component, `started (${pick.image}, ${pick.source})`);
  }
}

/** Stops and removes the stack's containers (and their anonymous volumes). Returns their names. */
export async function removeStack(docker: Docker, project: string): Promise<string[]> {
  const found = await findStack(docker, project);
  await Promise.all(found.map((c) => removeContainer(docker, c.Id)));
  return found.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ''));
}
