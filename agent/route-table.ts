import { isIPv4 } from 'node:net';
import type { AgentSnapshot, EndpointSnapshot, ServiceSnapshot, WorkloadSnapshot } from '../wire/types.ts';
import { istioLabels, UNKNOWN, UNKNOWN_PEER, type LabelBase, type PeerIdentity } from './istio-labels.ts';
import { hostPort, normalizeHost } from './normalize-host.ts';
import { RoundRobin } from './round-robin.ts';

/** One endpoint as the data path uses it. */
export interface EndpointRoute {
  /** Where to connect, `host:port`: the pool key. */
  target: string;
  dialHost: string;
  dialPort: number;
  address: string;
  port: number;
  meshed: boolean;
  http: LabelBase;
  tcp: LabelBase;
}

/** The endpoints of one service port. */
export interface PortRoute {
  port: number;
  balancer: RoundRobin<EndpointRoute>;
}

/** One destination service. */
export interface ServiceRoute {
  key: string;
  name: string;
  namespace: string;
  ports: Map<number, PortRoute>;
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
  /** `x-dockmesh-source-*` request headers, flat name/value pairs, for peers. */
  sourceHeaders: string[];
  excludedPorts: Set<number>;
  /** Every dial target of every endpoint (for the pools). */
  targets: Map<string, { host: string; port: number }>;
  capture: CaptureTarget[];
  /** Labels for outbound requests to no known service. */
  noRoute: LabelBase;
}

/** Key of a service: `name.namespace`. */
export const serviceKey = (name: string, namespace: string): string => `${name}.${namespace}`;

/** The identity of this agent's own workload. */
export function selfIdentity(self: WorkloadSnapshot): PeerIdentity {
  return { workload: self.workload, namespace: self.namespace, app: self.service, version: self.labels.version ?? UNKNOWN };
}

function endpointRoute(self: PeerIdentity, svc: ServiceSnapshot, e: EndpointSnapshot): EndpointRoute {
  const dialHost = e.dial?.address ?? e.address;
  const dialPort = e.dial?.port ?? e.port;
  const dest: PeerIdentity = { workload: e.workload, namespace: svc.namespace, app: svc.name, version: e.labels.version ?? UNKNOWN };
  const service = { name: svc.name, namespace: svc.namespace };
  return {
    target: `${dialHost}:${dialPort}`,
    dialHost,
    dialPort,
    address: e.address,
    port: e.port,
    meshed: e.meshed,
    http: istioLabels('source', self, dest, service, 'http'),
    tcp: istioLabels('source', self, dest, service, 'tcp'),
  };
}

/** Builds the routing table of a validated snapshot (pure). */
export function buildRouteTable(snapshot: AgentSnapshot): RouteTable {
  const self = selfIdentity(snapshot.self);
  const services = new Map<string, ServiceRoute>();
  const hosts = new Map<string, ServiceRoute>();
  const targets = new Map<string, { host: string; port: number }>();
  const capture: CaptureTarget[] = [];
  const excludedPorts = new Set(snapshot.mesh.excludedPorts);
  for (const svc of snapshot.services) {
    const key = serviceKey(svc.name, svc.namespace);
    const byPort = new Map<number, EndpointRoute[]>();
    for (const port of svc.ports) byPort.set(port, []);
    for (const e of svc.endpoints) {
      const route = endpointRoute(self, svc, e);
      targets.set(route.target, { host: route.dialHost, port: route.dialPort });
      if (e.meshed && isIPv4(e.address) && !excludedPorts.has(e.port)) {
        capture.push({ address: e.address, port: e.port, serviceKey: key });
      }
      if (e.ready === false) continue;
      let list = byPort.get(e.port);
      if (!list) byPort.set(e.port, (list = []));
      list.push(route);
    }
    const ports = new Map<number, PortRoute>();
    for (const [port, list] of byPort) ports.set(port, { port, balancer: new RoundRobin(list) });
    const dest: PeerIdentity = { ...UNKNOWN_PEER, namespace: svc.namespace, app: svc.name };
    const service = { name: svc.name, namespace: svc.namespace };
    const route: ServiceRoute = {
      key,
      name: svc.name,
      namespace: svc.namespace,
      ports,
      noEndpoint: istioLabels('source', self, dest, service, 'http'),
      noEndpointTcp: istioLabels('source', self, dest, service, 'tcp'),
    };
    services.set(key, route);
    for (const h of [svc.name, ...svc.hosts]) {
      const name = normalizeHost(h);
      if (!hosts.has(name)) hosts.set(name, route);
    }
  }
  const s = snapshot.self;
  return {
    version: snapshot.version,
    snapshot,
    self,
    services,
    hosts,
    sourceHeaders: [
      'x-dockmesh-source-workload', s.workload,
      'x-dockmesh-source-namespace', s.namespace,
      'x-dockmesh-source-service', s.service,
      'x-dockmesh-source-version', self.version,
    ],
    excludedPorts,
    targets,
    capture,
    noRoute: istioLabels('source', self, UNKNOWN_PEER, undefined, 'http'),
  };
}

/** Looks up the service a host name refers to (any port, case and trailing dot ignored). */
export function serviceForHost(table: RouteTable, host: string): ServiceRoute | undefined {
  return table.hosts.get(normalizeHost(host));
}

/**
 * The service and port an outbound HTTP request goes to (pure): the Host header's service when it
 * names one, else the listener's. The port is the Host header's explicit port, else the listener's
 * when the service has it, else the service's only port, else 80.
 */
export function resolveHttpDestination(
  table: RouteTable,
  host: string | undefined,
  listener: ServiceRoute | undefined,
  listenerPort: number,
): { service: ServiceRoute; port: number } | undefined {
  const byHost = host ? serviceForHost(table, host) : undefined;
  const service = byHost ?? listener;
  if (!service) return undefined;
  if (!byHost || byHost === listener) return { service, port: listenerPort };
  const explicit = hostPort(host!);
  if (explicit !== undefined) return { service, port: explicit };
  if (service.ports.has(listenerPort)) return { service, port: listenerPort };
  if (service.ports.size === 1) return { service, port: service.ports.keys().next().value! };
  return { service, port: 80 };
}

/** Outcome of {@link pickHttpUpstream}. */
export type UpstreamChoice =
  | { kind: 'endpoint'; service: ServiceRoute; portRoute: PortRoute; endpoint: EndpointRoute }
  | { kind: 'no-endpoint'; service: ServiceRoute }
  | { kind: 'no-service' };

/** Resolves an outbound HTTP request's destination and takes the next endpoint in turn. */
export function pickHttpUpstream(
  table: RouteTable,
  host: string | undefined,
  listener: ServiceRoute | undefined,
  listenerPort: number,
): UpstreamChoice {
  const dest = resolveHttpDestination(table, host, listener, listenerPort);
  if (!dest) return { kind: 'no-service' };
  const portRoute = dest.service.ports.get(dest.port);
  const endpoint = portRoute?.balancer.pick();
  if (!portRoute || !endpoint) return { kind: 'no-endpoint', service: dest.service };
  return { kind: 'endpoint', service: dest.service, portRoute, endpoint };
}
