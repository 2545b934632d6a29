import type { Tap } from './tap.ts';
import type { AccessLog } from './access-log.ts';
import type { InboundLabels } from './inbound-labels.ts';
import type { MeshMetrics } from './mesh-metrics.ts';
import type { TrafficMetrics } from './traffic-metrics.ts';
import type { TrafficState } from './traffic-state.ts';
import { serviceForHost, type RouteTable, type ServiceRoute } from './route-table.ts';
import type { UpstreamPools } from './upstream-pools.ts';
import type { MeshTls } from './mtls/mesh-tls.ts';
import type { Tracer } from './tracing/tracer.ts';

/** Live traffic counters of one direction (the /stats shape). */
export interface TrafficCounters {
  requests: number;
  connections: number;
  activeConnections: number;
}

/** What a listener is for. */
export interface ListenerBinding {
  direction: 'inbound' | 'outbound';
  /** Inbound: the app port to forward to. Outbound: the destination service port. */
  port: number;
  /**
   * Inbound, container mode: the address the app's port is bound to when that is one address (its
   * container's), not every address; the context's `appHost` otherwise. Follows the app.
   */
  appHost?: string;
  /** Outbound, container mode: the service key (`name.namespace`) the listener captures. */
  serviceKey?: string;
  /** Outbound, process mode: the host name given on the command line. */
  serviceHost?: string;
}

/** Shared state the data path reads; the route table is swapped whole on each snapshot. */
export interface ProxyContext {
  readonly tables: { readonly current: RouteTable | null };
  readonly pools: UpstreamPools;
  readonly metrics: MeshMetrics;
  /** dockmesh_* traffic-policy metrics (also the policies' event sink). */
  readonly traffic: TrafficMetrics;
  /** Cluster and rate-limit state that outlives snapshots. */
  readonly state: TrafficState;
  readonly accessLog: AccessLog;
  /** Live events for `mesh tap` (active only while someone listens). */
  readonly tap: Tap;
  /** The tracer in force; null: tracing off (nothing of it loaded). */
  readonly tracing: { readonly current: Tracer | null };
  readonly inboundLabels: InboundLabels;
  /** Where inbound traffic goes, unless the listener binding names its own `appHost` ({@link inboundHost}). */
  readonly appHost: string;
  /** Mutual TLS: certificate in force, client connections to peer agents. */
  readonly mesh: MeshTls;
  readonly counters: { inbound: TrafficCounters; outbound: TrafficCounters };
}

/** Where an inbound listener's traffic goes: the address its app port is bound to, else the context's. */
export function inboundHost(ctx: ProxyContext, binding: ListenerBinding): string {
  return binding.appHost ?? ctx.appHost;
}

/** The service an outbound listener stands for under `table`, if known. */
export function listenerService(table: RouteTable, binding: ListenerBinding): ServiceRoute | undefined {
  if (binding.serviceKey) return table.services.get(binding.serviceKey);
  if (binding.serviceHost) return serviceForHost(table, binding.serviceHost);
  return undefined;
}
