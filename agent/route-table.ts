import { isIP, isIPv4 } from 'node:net';
import type { AgentSnapshot, EndpointSnapshot, RetryPolicySnapshot, ServiceSnapshot, TrafficPolicySnapshot, WorkloadSnapshot } from '../wire/types.ts';
import { Cluster, poolSignature } from './cluster.ts';
import { composeDispatch, type TrafficEvents } from './dispatch/compose.ts';
import { DETACHED, type Dispatch } from './dispatch/dispatch.ts';
import { balancerLayer } from './dispatch/balancer-layer.ts';
import { timeoutLayer } from './dispatch/timeout-layer.ts';
import { istioLabels, UNKNOWN, UNKNOWN_PEER, type LabelBase, type PeerIdentity } from './istio-labels.ts';
import { hostPort, normalizeHost } from './normalize-host.ts';
import type { TokenBucket } from './resilience/token-bucket.ts';
import { HttpRoute, type RouteBuildContext } from './routing/http-route.ts';
import { HttpRouter } from './routing/http-router.ts';
import { TcpRouter, TlsRouter } from './routing/tcp-router.ts';
import { TrafficState } from './traffic-state.ts';
import { defaultPoolSpec, type PoolSpec } from './upstream-pools.ts';
import { compileAuthz, type CompiledAuthz } from './authz/compile-authz.ts';
import { JwksCache } from './authn/jwks-cache.ts';
import { JwtAuthn } from './authn/jwt-authn.ts';
import { spiffeIdOf } from './mtls/spiffe-id-of.ts';

/** One endpoint as the data path uses it. */
export interface EndpointRoute {
  /** Where to connect, `host:port`. */
  target: string;
  dialHost: string;
  dialPort: number;
  address: string;
  port: number;
  meshed: boolean;
  /** Set when the endpoint is dialled with mTLS: the SPIFFE ID its agent must present. */
  serverId?: string;
  labels: Readonly<Record<string, string>>;
  http: LabelBase;
  tcp: LabelBase;
}

/** One destination service. */
export interface ServiceRoute {
  key: string;
  name: string;
  namespace: string;
  /** Service ports (declared and those endpoints listen on). */
  ports: ReadonlySet<number>;
  /** Clusters by subset ('' = every ready endpoint) and port. */
  clusters: Map<string, Map<number, Cluster>>;
  /** VirtualService HTTP routes; null: the default route only. */
  router: HttpRouter | null;
  /** Istio's default route: every endpoint of the requested port, default retry policy. */
  defaultRoute: HttpRoute;
  /** VirtualService TCP routes; null: the default route. */
  tcp: TcpRouter | null;
  /** VirtualService TLS routes (by server name); null: none, TLS is routed as TCP. */
  tls: TlsRouter | null;
  /** Local rate limit of requests to this service. */
  rateLimit: TokenBucket | undefined;
  /** Labels for requests that found the service but no endpoint. */
  noEndpoint: LabelBase;
  noEndpointTcp: LabelBase;
}

/** A destination to capture in container mode: meshed endpoint address and port, by service. */
export interface CaptureTarget {
  address: string;
  port: number;
  serviceKey: string;
}

/** Immutable routing state built from one snapshot; swapped whole. */
export interface RouteTable {
  version: number;
  snapshot: AgentSnapshot;
  self: PeerIdentity;
  services: Map<string, ServiceRoute>;
  hosts: Map<string, ServiceRoute>;
  /** Services by endpoint `address:port` (a client that calls a replica by IP). */
  addresses: Map<string, ServiceRoute>;
  /** `x-dockmesh-source-*` request headers, flat name/value pairs, for peers. */
  sourceHeaders: string[];
  excludedPorts: Set<number>;
  /** Every upstream pool the table's clusters use. */
  pools: PoolSpec[];
  capture: CaptureTarget[];
  /** Labels for outbound requests to no known service. */
  noRoute: LabelBase;
  /** Keys of every cluster and rate-limited service (state to keep). */
  clusterKeys: Set<string>;
  bucketKeys: Set<string>;
  /** Problems found while compiling (routes to unknown subsets, bad regexes); shown by /config. */
  problems: string[];
  /** The AuthorizationPolicies selecting this workload, compiled (inbound). */
  authz: CompiledAuthz;
  /** The RequestAuthentications' JWT rules for this workload (inbound); absent: none. */
  jwt?: JwtAuthn;
}

/** What building a table needs besides the snapshot: the state it continues, the pools, the reports. */
export interface TableDeps {
  state: TrafficState;
  /** The connection-pool layer (the end of every policy chain). */
  pool: Dispatch;
  events: TrafficEvents;
  /** True when the agent has a workload identity: meshed endpoints are dialled with mTLS. */
  mtls?: () => boolean;
  /** The JWKS fetched for RequestAuthentications (kept across tables); default: one per table. */
  jwks?: JwksCache;
}

/** Istio's retry policy on routes without a VirtualService (the control server fills it on the others). */
export const DEFAULT_RETRY: RetryPolicySnapshot = {
  attempts: 2,
  retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes', '503'],
};

/** A mirror request gets this long when its route has no timeout. */
export const MIRROR_TIMEOUT_MS = 15_000;

const noEvents: TrafficEvents = { retry() {}, retryOverflow() {}, overflow() {}, ejected() {} };

/** Deps for building a table with nothing behind it (unit tests). */
export function detachedDeps(): TableDeps {
  return { state: new TrafficState(), pool: (_c, h) => h.onResponseError(DETACHED, new Error('no pools')), events: noEvents };
}

/** Key of a service: `name.namespace`. */
export const serviceKey = (name: string, namespace: string): string => `${name}.${namespace}`;

/** The identity of this agent's own workload. */
export function selfIdentity(self: WorkloadSnapshot): PeerIdentity {
  return { workload: self.workload, namespace: self.namespace, app: self.service, version: self.labels.version ?? UNKNOWN };
}

function endpointRoute(self: PeerIdentity, svc: ServiceSnapshot, e: EndpointSnapshot, selfId: string | undefined): EndpointRoute {
  const dialHost = e.dial?.address ?? e.address;
  const dialPort = e.dial?.port ?? e.port;
  const dest: PeerIdentity = { workload: e.workload, namespace: svc.namespace, app: svc.name, version: e.labels.version ?? UNKNOWN };
  const service = { name: svc.name, namespace: svc.namespace };
  const r: EndpointRoute = {
    target: `${dialHost}:${dialPort}`,
    dialHost,
    dialPort,
    address: e.address,
    port: e.port,
    meshed: e.meshed,
    labels: e.labels,
    http: istioLabels('source', self, dest, service, 'http'),
    tcp: istioLabels('source', self, dest, service, 'tcp'),
  };
  if (selfId && e.meshed) {
    // Secure naming: a replica of the service must present the service's identity.
    r.serverId = spiffeIdOf(svc.namespace, svc.name);
    for (const l of [r.http.labels, r.tcp.labels]) {
      l.source_principal = selfId;
      l.destination_principal = r.serverId;
    }
  }
  return r;
}

/** The effective policy of a cluster: the subset's (already merged over the host's), then its port level. */
export function clusterPolicy(svc: ServiceSnapshot, subset: string, port: number): TrafficPolicySnapshot | undefined {
  const p = subset === '' ? svc.policy : svc.subsets?.find((s) => s.name === subset)?.policy;
  return p?.portLevel?.find((l) => l.port === port)?.policy ?? p;
}

/** Builds the routing table of a validated snapshot, continuing `deps.state` (pure but for that state). */
export function buildRouteTable(snapshot: AgentSnapshot, deps: TableDeps = detachedDeps()): RouteTable {
  const self = selfIdentity(snapshot.self);
  const services = new Map<string, ServiceRoute>();
  const hosts = new Map<string, ServiceRoute>();
  const addresses = new Map<string, ServiceRoute>();
  const pools = new Map<string, PoolSpec>();
  const capture: CaptureTarget[] = [];
  const problems: string[] = [];
  const clusterKeys = new Set<string>();
  const bucketKeys = new Set<string>();
  const excludedPorts = new Set(snapshot.mesh.excludedPorts);
  const defaultSpecs = new Map<string, PoolSpec>();
  const selfId = deps.mtls?.() ? spiffeIdOf(snapshot.self.namespace, snapshot.self.service) : undefined;
  const poolFor = (target: string, sig: { signature: string; options: PoolSpec['options'] }, serverId?: string): PoolSpec => {
    const plainKey = sig.signature === '' ? target : `${target}#${sig.signature}`;
    const key = serverId ? `mtls|${serverId}|${plainKey}` : plainKey;
    let spec = pools.get(key);
    if (!spec) {
      spec = !serverId && sig.signature === '' ? (defaultSpecs.get(target) ?? defaultPoolSpec(target)) : { key, target, options: sig.options };
      if (serverId) spec.tls = { serverId };
      pools.set(key, spec);
    }
    return spec;
  };

  // 1. Services, endpoints, clusters (every port × every subset, and '' for all endpoints).
  const pending: Array<{ svc: ServiceSnapshot; route: ServiceRoute }> = [];
  for (const svc of snapshot.services) {
    const key = serviceKey(svc.name, svc.namespace);
    const ports = new Set<number>(svc.ports);
    const ready: EndpointRoute[] = [];
    for (const e of svc.endpoints) {
      const route = endpointRoute(self, svc, e, selfId);
      poolFor(route.target, { signature: '', options: {} }, route.serverId);
      if (e.meshed && isIPv4(e.address) && !excludedPorts.has(e.port)) capture.push({ address: e.address, port: e.port, serviceKey: key });
      ports.add(e.port);
      if (e.ready === false) continue;
      ready.push(route);
    }
    const clusters = new Map<string, Map<number, Cluster>>();
    const subsets = [{ name: '', labels: {} as Record<string, string> }, ...(svc.subsets ?? [])];
    for (const subset of subsets) {
      const byPort = new Map<number, Cluster>();
      for (const port of [...ports].sort((a, b) => a - b)) {
        const policy = clusterPolicy(svc, subset.name, port);
        const sig = poolSignature(policy);
        const members = ready
          .filter((r) => r.port === port && labelsMatch(r.labels, subset.labels))
          .map((r) => ({ route: r, pool: poolFor(r.target, sig, r.serverId) }));
        const cluster = deps.state.cluster({ service: svc.name, namespace: svc.namespace, subset: subset.name, port }, policy, members);
        clusterKeys.add(cluster.key);
        byPort.set(port, cluster);
      }
      clusters.set(subset.name, byPort);
    }
    const dest: PeerIdentity = { ...UNKNOWN_PEER, namespace: svc.namespace, app: svc.name };
    const service = { name: svc.name, namespace: svc.namespace };
    let rateLimit: TokenBucket | undefined;
    if (svc.rateLimit) {
      rateLimit = deps.state.bucket(key, svc.rateLimit);
      bucketKeys.add(key);
    }
    const route: ServiceRoute = {
      key,
      name: svc.name,
      namespace: svc.namespace,
      ports,
      clusters,
      router: null,
      defaultRoute: undefined as unknown as HttpRoute,
      tcp: null,
      tls: null,
      rateLimit,
      noEndpoint: istioLabels('source', self, dest, service, 'http'),
      noEndpointTcp: istioLabels('source', self, dest, service, 'tcp'),
    };
    services.set(key, route);
    pending.push({ svc, route });
    for (const h of [svc.name, ...svc.hosts]) {
      const name = normalizeHost(h);
      if (!hosts.has(name)) hosts.set(name, route);
    }
    for (const e of svc.endpoints) {
      const id = `${e.address}:${e.port}`;
      if (!addresses.has(id)) addresses.set(id, route);
    }
  }

  // 2. Routes: compiled against the clusters, each destination with its composed policy chain.
  const mirrorPool = deps.pool;
  const ctx: RouteBuildContext = {
    self: { labels: snapshot.self.labels, namespace: snapshot.self.namespace },
    service: (k) => services.get(k),
    chain: (cluster, timeoutMs, retry) => composeDispatch(timeoutMs, retry, cluster, deps.pool, deps.events),
    mirrorChain: (cluster) => timeoutLayer(MIRROR_TIMEOUT_MS, balancerLayer(cluster, mirrorPool, deps.events)),
    bucket: (key, config) => {
      bucketKeys.add(key);
      return deps.state.bucket(key, config);
    },
    scope: '',
    problem: (text) => problems.push(text),
  };
  for (const { svc, route } of pending) {
    const scoped: RouteBuildContext = { ...ctx, scope: route.key, problem: (text) => problems.push(`${route.key}: ${text}`) };
    route.defaultRoute = HttpRoute.defaultFor(route, scoped, DEFAULT_RETRY);
    if (svc.http) route.router = new HttpRouter(svc.http, scoped);
    if (svc.tcp) route.tcp = new TcpRouter(svc.tcp, scoped);
    if (svc.tls) route.tls = new TlsRouter(svc.tls, scoped);
  }

  const s = snapshot.self;
  const authz = compileAuthz(snapshot.inbound?.authz);
  for (const p of authz.problems) problems.push(`authorization: ${p}`);
  const jwtRules = snapshot.inbound?.jwt;
  const jwt = jwtRules?.length ? new JwtAuthn(jwtRules, deps.jwks ?? new JwksCache()) : undefined;
  if (jwt) problems.push(...jwt.problems);
  return {
    version: snapshot.version,
    snapshot,
    self,
    services,
    hosts,
    addresses,
    sourceHeaders: [
      'x-dockmesh-source-workload', s.workload,
      'x-dockmesh-source-namespace', s.namespace,
      'x-dockmesh-source-service', s.service,
      'x-dockmesh-source-version', self.version,
    ],
    excludedPorts,
    pools: [...pools.values()],
    capture,
    noRoute: istioLabels('source', self, UNKNOWN_PEER, undefined, 'http'),
    clusterKeys,
    bucketKeys,
    problems,
    authz,
    ...(jwt ? { jwt } : {}),
  };
}

function labelsMatch(have: Readonly<Record<string, string>>, want: Readonly<Record<string, string>>): boolean {
  for (const k in want) if (have[k] !== want[k]) return false;
  return true;
}

/** Looks up the service a host name refers to (any port, case and trailing dot ignored). */
export function serviceForHost(table: RouteTable, host: string): ServiceRoute | undefined {
  return table.hosts.get(normalizeHost(host));
}

/** `address:port` when `host` is an IP literal with a port (the client addressed a replica). */
export function addressOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const port = hostPort(host);
  if (port === undefined) return undefined;
  const name = normalizeHost(host);
  return isIP(name) ? `${name}:${port}` : undefined;
}

/**
 * The service and port an outbound HTTP request goes to (pure): the Host header's service when it
 * names one (or is the address of one of its endpoints), else the listener's. The port is the Host
 * header's explicit port, else the listener's when the service has it, else the service's only
 * port, else 80.
 */
export function resolveHttpDestination(
  table: RouteTable,
  host: string | undefined,
  listener: ServiceRoute | undefined,
  listenerPort: number,
): { service: ServiceRoute; port: number } | undefined {
  let byHost = host ? serviceForHost(table, host) : undefined;
  if (!byHost && host) {
    const address = addressOf(host);
    if (address) byHost = table.addresses.get(address);
  }
  const service = byHost ?? listener;
  if (!service) return undefined;
  if (!byHost || byHost === listener) return { service, port: listenerPort };
  const explicit = hostPort(host!);
  if (explicit !== undefined) return { service, port: explicit };
  if (service.ports.has(listenerPort)) return { service, port: listenerPort };
  if (service.ports.size === 1) return { service, port: service.ports.values().next().value! };
  return { service, port: 80 };
}

/** The all-endpoints cluster of a service port. */
export function defaultCluster(service: ServiceRoute, port: number): Cluster | undefined {
  return service.clusters.get('')?.get(port);
}
