/** Pure: the Docker create options of the agent sidecar of one app container. */
import { AGENT_ENV, LABELS } from '../../wire/types.ts';
import type { Workload } from '../discovery/labels.ts';

/** Labels only the injector writes on agent containers. */
export const AGENT_LABELS = {
  appStarted: 'dockmesh.app-started',
  tokenHash: 'dockmesh.token-sha256',
  image: 'dockmesh.agent-image',
} as const;

export interface AgentSpecOptions {
  image: string;
  project: string;
  controlUrl: string;
  /** PEM roots that sign the control server's certificate (with an `https:` URL). */
  controlCa?: string;
  token: string;
  tokenHash: string;
  /** Extra environment for the agent (log level, flags). */
  env?: Record<string, string>;
}

/** Name of the agent container of an app container: `<container>-mesh-agent`. */
export function agentName(w: Workload): string {
  return `${w.containerName}-mesh-agent`;
}

/** Container create options (dockerode's createContainer body). */
export function agentSpec(w: Workload, o: AgentSpecOptions): Record<string, unknown> {
  const env: Record<string, string> = {
    [AGENT_ENV.controlUrl]: o.controlUrl,
    ...(o.controlCa && { [AGENT_ENV.controlCa]: o.controlCa }),
    [AGENT_ENV.token]: o.token,
    [AGENT_ENV.container]: w.container,
    [AGENT_ENV.capture]: 'iptables',
    ...o.env,
  };
  return {
    name: agentName(w),
    Image: o.image,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABELS.role]: 'agent',
      [LABELS.agentFor]: w.container,
      [LABELS.project]: o.project,
      [LABELS.service]: w.service,
      [AGENT_LABELS.appStarted]: w.startedAt ?? '',
      [AGENT_LABELS.tokenHash]: o.tokenHash,
      [AGENT_LABELS.image]: o.image,
    },
    StopSignal: 'SIGTERM',
    StopTimeout: 10,
    HostConfig: {
      NetworkMode: `container:${w.container}`,
      CapAdd: ['NET_ADMIN'],
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
    },
  };
}

/** Why an existing agent container no longer fits its app container, or null when it does. */
export function staleReason(
  agent: { labels: Record<string, string>; running: boolean },
  w: Workload,
  image: string,
): string | null {
  if (!agent.running) return 'agent not running';
  if ((agent.labels[AGENT_LABELS.appStarted] ?? '') !== (w.startedAt ?? '')) return 'app container restarted';
  if (agent.labels[AGENT_LABELS.image] !== image) return 'agent image changed';
  return null;
}
