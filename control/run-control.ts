/**
 * Starts a control server for one compose project from plain options (env in the control
 * container, flags for `mesh control` on the host). Returns it running.
 */
import Docker from 'dockerode';
import { DockerProvider } from './discovery/docker-provider.ts';
import { NetworkPresence } from './network-presence.ts';
import { ControlServer } from './control-server.ts';
import { PORTS } from '../wire/types.ts';

export interface RunControlOptions {
  project: string;
  apiToken: string;
  /** Agent image to inject; without it no sidecar is attached. */
  agentImage?: string;
  /** Container mode: this control container's name. Host mode: undefined. */
  self?: string;
  host?: string;
  port?: number;
  namespace?: string;
  socketPath?: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export async function runControl(o: RunControlOptions): Promise<{ server: ControlServer; address: string }> {
  const docker = new Docker({ socketPath: o.socketPath ?? '/var/run/docker.sock' });
  await docker.ping();
  const port = o.port ?? PORTS.control;
  const presence = new NetworkPresence({ docker, self: o.self, port, log: o.log });
  const source = new DockerProvider({ docker, project: o.project, namespace: o.namespace, log: o.log });
  const server = new ControlServer({
    project: o.project,
    apiToken: o.apiToken,
    source,
    log: o.log,
    onWorkloads: (w) => presence.sync(w),
    injector: o.agentImage
      ? { docker, image: o.agentImage, controlUrlFor: (w) => presence.controlUrlFor(w) }
      : undefined,
  });
  const address = await server.start(o.host ?? (o.self ? '0.0.0.0' : '127.0.0.1'), port);
  return { server, address };
}
