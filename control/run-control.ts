/**
 * Starts a control server for one compose project from plain options (env in the control
 * container, flags for `mesh control` on the host). Returns it running.
 */
import Docker from 'dockerode';
import { DockerProvider } from './discovery/docker-provider.ts';
import { NetworkPresence } from './network-presence.ts';
import { ControlServer, type WorkloadSource } from './control-server.ts';
import { PORTS } from '../wire/types.ts';
import { ConfigStore } from './config/config-store.ts';
import { MeshfileWatcher } from './config/meshfile-watcher.ts';
import { loadMeshfile } from './meshfile/load-meshfile.ts';
import type { MeshSpec } from './meshfile/mesh-spec.ts';
import type { MeshfileContext } from './meshfile/host-resolver.ts';
import { LocalCa } from './ca/local-ca.ts';
import { CaWatcher } from './ca/ca-watcher.ts';

export interface RunControlOptions {
  project: string;
  apiToken: string;
  /** Agent image to inject; without it no sidecar is attached. */
  agentImage?: string;
  /** Container mode: this control container's name. Host mode: undefined. */
  self?: string;
  host?: string;
  port?: number;
  /** The agents' TLS listener (with a CA); default {@link PORTS.controlTls}, or a free one when `port` is 0. */
  agentPort?: number;
  namespace?: string;
  socketPath?: string;
  /** The meshfile to watch (absent or missing: defaults everywhere until it appears). */
  meshfile?: string;
  /**
   * Workloads from elsewhere than the Docker engine (benchmarks, agents run as processes): no
   * Docker connection is made and nothing is injected.
   */
  source?: WorkloadSource;
  /** With `source`: the agents' tokens, container id → token. */
  staticAgentTokens?: Map<string, string>;
  /** The local CA's directory ($DOCKMESH_HOME/ca, read-only here); absent: no CA, no mTLS. */
  caDir?: string;
  /** Where state that outlives the control server goes (the Canaries'); absent: memory only. */
  stateDir?: string;
  /** Traces go here when the meshfile names no collector (the bundled Jaeger of `mesh up --observability`). */
  defaultTracingEndpoint?: string;
  /** MetricTemplates without an address query this Prometheus. */
  metricsServer?: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export async function runControl(o: RunControlOptions): Promise<{ server: ControlServer; address: string; close: () => Promise<void> }> {
  const port = o.port ?? PORTS.control;
  const docker = o.source ? undefined : new Docker({ socketPath: o.socketPath ?? '/var/run/docker.sock' });
  await docker?.ping();
  const presence = docker ? new NetworkPresence({ docker, self: o.self, port, log: o.log }) : undefined;
  const source = o.source ?? new DockerProvider({ docker: docker!, project: o.project, namespace: o.namespace, log: o.log });
  let server: ControlServer | undefined;
  let configLoaded!: () => void;
  const config = new ConfigStore<MeshSpec, MeshfileContext>(
    o.meshfile ?? null,
    (text, file, ctx) => loadMeshfile(text, file, ctx),
    () => server?.meshfileContext(),
  );
  config.on('change', () => o.log?.('meshfile applied', { file: o.meshfile, version: config.version, warnings: config.view().warnings.length }));
  const ca = o.caDir ? await LocalCa.open(o.caDir) : undefined;
  server = new ControlServer({
    config,
    ca,
    project: o.project,
    apiToken: o.apiToken,
    source,
    log: o.log,
    staticAgentTokens: o.staticAgentTokens,
    stateDir: o.stateDir,
    defaultTracingEndpoint: o.defaultTracingEndpoint,
    metricsServer: o.metricsServer,
    configLoaded: new Promise<void>((resolve) => (configLoaded = resolve)),
    onWorkloads: (w) => presence?.sync(w),
    injector: o.agentImage && docker && presence
      ? { docker, image: o.agentImage, controlUrlFor: (w) => presence.controlUrlFor(w, server!.agentEndpoint()) }
      : undefined,
  });
  const address = await server.start(o.host ?? (o.self ? '0.0.0.0' : '127.0.0.1'), port, o.agentPort ?? (port === 0 ? 0 : PORTS.controlTls));
  const watcher = o.meshfile
    ? new MeshfileWatcher({
        file: o.meshfile,
        log: o.log,
        onContents: (text) => {
          if (!config.apply(text) && !config.view().valid) {
            for (const d of config.view().errors) {
              o.log?.('meshfile rejected: the last good config stays in force', { at: `${d.file}:${d.line}:${d.column}`, code: d.code, error: d.message });
            }
          }
        },
        onDeleted: () => {
          config.deleted();
          o.log?.('meshfile deleted: the last good config stays in force', { file: o.meshfile });
        },
      })
    : undefined;
  await watcher?.start();
  configLoaded();
  const s = server;
  // `mesh ca rotate` changes the CA's files on the host: new roots reach every agent.
  const caWatcher = ca ? new CaWatcher(ca, { onChange: () => s.refresh() }) : undefined;
  return {
    server: s,
    address,
    close: async () => {
      caWatcher?.close();
      await watcher?.close();
      await s.close();
    },
  };
}
