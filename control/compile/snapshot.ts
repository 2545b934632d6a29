/**
 * Pure: registry view → one AgentSnapshot body per agent, with only what that agent needs and a
 * content hash. Versions are assigned by the caller (they bump only when the hash changes).
 */
import { createHash } from 'node:crypto';
import type { AgentSnapshot, EndpointSnapshot, FaultSnapshot, ServiceSnapshot, TrustSnapshot, WorkloadSnapshot } from '../../wire/types.ts';
import { compileInbound } from './inbound.ts';
import type { Workload } from '../discovery/labels.ts';
import type { RegistryView } from '../registry/endpoint-registry.ts';
import type { MeshSpec } from '../meshfile/mesh-spec.ts';
import type { HostLookup, MeshfileContext } from '../meshfile/host-resolver.ts';
import { hostLookup } from '../meshfile/host-resolver.ts';
import { compileServiceRoutes, indexMeshSpec, type CanaryTargetState } from './routes.ts';
import { isCanaryReplica, labelPrimary, PRIMARY_ONLY, type CanaryRouting } from './canary-routes.ts';
import { serviceKey } from '../meshfile/host-resolver.ts';
import { compileTracing } from './tracing.ts';
import { accessLogOf, metricsOf, resolveTelemetry, tracingDirection } from './telemetry.ts';
import { withFault } from './with-fault.ts';

/** Mesh-wide settings and the meshfile in force. */
export interface CompileOptions {
  excludedPorts?: number[];
  /** The meshfile in force; absent: no meshfile (defaults everywhere). */
  spec?: MeshSpec | null;
  /** Resolves meshfile hosts to services; build it once per registry view with `lookupFor`. */
  lookup?: HostLookup;
  /** Temporary faults (`mesh fault`) by logical service name. */
  faults?: ReadonlyMap<string, FaultSnapshot>;
  /** Roots the agents trust (from the local CA); absent: no CA configured. */
  trust?: TrustSnapshot;
  /** Traces go here when the meshfile names no collector (the bundled Jaeger); absent: no default. */
  defaultTracingEndpoint?: string;
  /** SHA-256 (hex) of the key the control server taps agents with; absent: no tap. */
  tapKeyHash?: string;
  /** What the canary controller decided, by target service key (`name.namespace`); absent: primary only. */
  canaries?: ReadonlyMap<string, CanaryRouting>;
}

/** A compiled snapshot without its version. */
export type SnapshotBody = Omit<AgentSnapshot, 'version'>;

/** Every host name that refers to a service (lower case, sorted). */
export function hostsOf(service: string, namespace: string, members: readonly Workload[]): string[] {
  const hosts = new Set<string>([service, `${service}.${namespace}`, `${service}.${namespace}.svc.cluster.local`]);
  for (const m of members) {
    hosts.add(m.workload.toLowerCase());
    hosts.add(m.containerName.toLowerCase());
    for (const a of m.aliases) hosts.add(a);
  }
  return [...hosts].map((h) => h.toLowerCase()).sort();
}

function sharedAddress(from: Workload, to: Workload): string | undefined {
  for (const net of Object.keys(from.addresses).sort()) {
    const addr = to.addresses[net];
    if (addr) return addr;
  }
  return undefined;
}

/** Compose bookkeeping labels are noise for subsets and would churn hashes; keep the service one. */
function meshLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) {
    if (k.startsWith('com.docker.compose.') && k !== 'com.docker.compose.service') continue;
    out[k] = labels[k]!;
  }
  return out;
}

function selfOf(w: Workload): WorkloadSnapshot {
  return {
    service: w.service,
    namespace: w.namespace,
    workload: w.workload,
    container: w.container,
    containerName: w.containerName,
    labels: meshLabels(w.labels),
  };
}

/** Groups workloads by logical service (namespace-qualified), in name order. */
function byService(workloads: readonly Workload[]): Map<string, Workload[]> {
  const out = new Map<string, Workload[]>();
  for (const w of workloads) {
    const key = `${w.namespace}/${w.service}`;
    const list = out.get(key) ?? [];
    list.push(w);
    out.set(key, list);
  }
  return new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** Compiles the snapshot body of the agent of `self`. */
export function compileSnapshot(self: Workload, view: RegistryView, opts: CompileOptions = {}): SnapshotBody {
  const services: ServiceSnapshot[] = [];
  // The calling workload, as DestinationRule workloadSelectors and Telemetry selectors see it.
  const client = { namespace: self.namespace, labels: meshLabels(self.labels) };
  for (const members of byService(view.workloads).values()) {
    const first = members[0]!;
    const endpoints: EndpointSnapshot[] = [];
    const ports = new Set<number>();
    for (const m of members) {
      const address = sharedAddress(self, m);
      if (!address) continue;
      for (const port of view.ports.get(m.container) ?? []) {
        ports.add(port);
        endpoints.push({
          container: m.container,
          workload: m.workload,
          address,
          port,
          meshed: view.meshed.has(m.container),
          labels: meshLabels(m.labels),
        });
      }
    }
    endpoints.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
    const hosts = hostsOf(first.service, first.namespace, members);
    const lookup = opts.lookup ?? hostLookup();
    const key = serviceKey({ name: first.service, namespace: first.namespace });
    const canaryTarget = opts.spec !== undefined && opts.spec !== null && indexMeshSpec(opts.spec, lookup).canary.has(key);
    let canary: CanaryTargetState | undefined;
    if (canaryTarget) {
      const n = members.filter((m) => isCanaryReplica(m.labels)).length;
      canary = { routing: opts.canaries?.get(key) ?? PRIMARY_ONLY, replicas: { primary: members.length - n, canary: n } };
    }
    const routes = opts.spec ? compileServiceRoutes(opts.spec, { name: first.service, namespace: first.namespace, hosts }, lookup, canary, client) : {};
    const service: ServiceSnapshot = {
      name: first.service,
      namespace: first.namespace,
      hosts,
      ports: [...ports].sort((a, b) => a - b),
      endpoints: canaryTarget ? endpoints.map(labelPrimary) : endpoints,
      ...routes,
    };
    const fault = opts.faults?.get(first.service);
    if (fault) service.http = withFault(service, fault);
    services.push(service);
  }
  const excluded = new Set([...(opts.excludedPorts ?? []), ...(opts.spec?.mesh?.spec.excludedPorts ?? [])]);
  const body: Omit<SnapshotBody, 'hash'> = {
    self: selfOf(self),
    services,
    mesh: { excludedPorts: [...excluded].sort((a, b) => a - b) },
  };
  const tracing = compileTracing(opts.spec?.mesh?.spec.tracing, opts.defaultTracingEndpoint);
  const telemetry = opts.spec?.telemetries?.length
    ? resolveTelemetry(client, opts.spec.telemetries)
    : undefined;
  if (tracing) {
    if (telemetry?.applies) {
      tracing.outbound = tracingDirection(telemetry.outbound, tracing.samplingPercent);
      tracing.inbound = tracingDirection(telemetry.inbound, tracing.samplingPercent);
    }
    body.mesh.tracing = tracing;
  }
  const accessLog = telemetry && accessLogOf(telemetry);
  if (accessLog) body.mesh.accessLog = accessLog;
  const metrics = telemetry && metricsOf(telemetry);
  if (metrics) body.mesh.metrics = metrics;
  if (opts.tapKeyHash) body.mesh.tapKeyHash = opts.tapKeyHash;
  if (opts.trust) body.trust = opts.trust;
  if (opts.spec) {
    body.inbound = compileInbound({
      workload: { namespace: self.namespace, labels: meshLabels(self.labels) },
      peerAuthentications: opts.spec.peerAuthentications,
      authorizationPolicies: opts.spec.authorizationPolicies,
      requestAuthentications: opts.spec.requestAuthentications,
      defaultMtlsMode: opts.spec.mesh?.spec.defaultMtlsMode,
    }).inbound;
  }
  return { hash: hashOf(body), ...body };
}

/** The meshfile's view of the project: services, their hosts, label sets and ports. */
export function meshfileContext(view: RegistryView): MeshfileContext {
  return {
    services: [...byService(view.workloads).values()].map((members) => {
      const first = members[0]!;
      const ports = new Set<number>();
      for (const m of members) for (const p of view.ports.get(m.container) ?? []) ports.add(p);
      return {
        name: first.service,
        namespace: first.namespace,
        hosts: hostsOf(first.service, first.namespace, members),
        labelSets: members.map((m) => meshLabels(m.labels)),
        ports: [...ports].sort((a, b) => a - b),
      };
    }),
  };
}

/** Content hash of a JSON value built in a deterministic order. */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}
