/**
 * Pure: container data from the Docker API → the workloads of one compose project.
 * Follows Traefik's provider split: the I/O lives in docker-provider.ts, this file is a function.
 */
import { LABELS } from '../../wire/types.ts';
import { DNS_LABEL } from '../meshfile/export-to.ts';

/** The subset of Docker's container JSON that discovery reads (list or inspect shape). */
export interface ContainerData {
  Id: string;
  Names?: string[];
  Name?: string;
  Labels?: Record<string, string> | null;
  Config?: { Labels?: Record<string, string> | null };
  State?: string | { Status?: string; Running?: boolean; StartedAt?: string; Pid?: number };
  NetworkSettings?: {
    Networks?: Record<string, { IPAddress?: string; Aliases?: string[] | null; NetworkID?: string }> | null;
  };
  HostConfig?: { NetworkMode?: string };
}

/** One app container of the project, as discovery sees it. */
export interface Workload {
  container: string;
  containerName: string;
  /** Logical service: `dockmesh.service` label, else the compose service. */
  service: string;
  /** Compose service (Istio's workload). */
  workload: string;
  namespace: string;
  project: string;
  labels: Record<string, string>;
  /** network name → IP address. */
  addresses: Record<string, string>;
  /** Names this container answers to on its networks (compose service, aliases). */
  aliases: string[];
  /** false when `dockmesh.inject: "false"`: in the registry, but gets no agent. */
  inject: boolean;
  running: boolean;
  startedAt?: string;
}

export const COMPOSE = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  number: 'com.docker.compose.container-number',
} as const;

/** Options that change what counts as a workload. */
export interface WorkloadOptions {
  project: string;
  namespace?: string;
  /** Mesh one-off `docker compose run` containers too (default false). */
  includeOneOff?: boolean;
}

function labelsOf(c: ContainerData): Record<string, string> {
  return { ...(c.Labels ?? c.Config?.Labels ?? {}) };
}

function nameOf(c: ContainerData): string {
  const raw = c.Names?.[0] ?? c.Name ?? c.Id.slice(0, 12);
  return raw.replace(/^\//, '');
}

function isRunning(c: ContainerData): boolean {
  if (typeof c.State === 'string') return c.State === 'running';
  return c.State?.Running === true || c.State?.Status === 'running';
}

export const DEFAULT_NAMESPACE = 'default';

/**
 * The namespace the `dockmesh.namespace` label gives (a DNS label, as a Kubernetes namespace name);
 * undefined when unset or not a namespace name ({@link namespaceLabelProblem} says why).
 */
export function namespaceOf(labels: Readonly<Record<string, string>>): string | undefined {
  const v = labels[LABELS.namespace];
  return v !== undefined && !namespaceLabelProblem(v) ? v : undefined;
}

/** Why a `dockmesh.namespace` value is not a namespace name, or undefined when it is one. */
export function namespaceLabelProblem(value: string): string | undefined {
  if (DNS_LABEL.test(value)) return undefined;
  return `label ${LABELS.namespace}="${value}" is not a namespace name (a DNS label: at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit)`;
}

/** Pure: one container → its workload, or null when it is not an app container of `project`. */
export function toWorkload(c: ContainerData, opts: WorkloadOptions): Workload | null {
  const labels = labelsOf(c);
  if (labels[COMPOSE.project] !== opts.project) return null;
  if (labels[LABELS.role]) return null;
  if (!opts.includeOneOff && (labels[COMPOSE.oneoff] ?? '').toLowerCase() === 'true') return null;
  const composeService = labels[COMPOSE.service];
  if (!composeService) return null;
  const networkMode = c.HostConfig?.NetworkMode ?? '';
  if (networkMode.startsWith('container:') || networkMode === 'host') return null;
  const addresses: Record<string, string> = {};
  const aliases = new Set<string>([composeService]);
  for (const [net, info] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    if (info?.IPAddress) addresses[net] = info.IPAddress;
    for (const a of info?.Aliases ?? []) {
      if (!/^[0-9a-f]{12}$/.test(a)) aliases.add(a.toLowerCase());
    }
  }
  const state = typeof c.State === 'object' ? c.State : undefined;
  return {
    container: c.Id,
    containerName: nameOf(c),
    service: labels[LABELS.service] || composeService,
    workload: composeService,
    namespace: namespaceOf(labels) ?? opts.namespace ?? DEFAULT_NAMESPACE,
    project: opts.project,
    labels,
    addresses,
    aliases: [...aliases].sort(),
    inject: (labels[LABELS.inject] ?? '').toLowerCase() !== 'false',
    running: isRunning(c),
    startedAt: state?.StartedAt,
  };
}

/** Pure: all containers → the project's running workloads, sorted by container name. */
export function toWorkloads(containers: ContainerData[], opts: WorkloadOptions): Workload[] {
  return containers
    .map((c) => toWorkload(c, opts))
    .filter((w): w is Workload => w !== null && w.running)
    .sort((a, b) => a.containerName.localeCompare(b.containerName));
}
