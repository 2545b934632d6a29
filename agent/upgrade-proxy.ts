import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream';
import { traceIdOf, type AccessLogEntry } from './access-log.ts';
import type { Cluster, ClusterHost } from './cluster.ts';
import { LocalReply, type ResponseFlag } from './dispatch/local-reply.ts';
import { canonicalRequest } from './canonical/canonical-request.ts';
import { forwardHeaders, withRequestId, type ForwardHead, type SourceHeaders } from './forward-headers.ts';
import { XFCC_HEADER } from './identity/xfcc.ts';
import { UNKNOWN, type LabelBase } from './istio-labels.ts';
import { authorizeRequest } from './mtls/authorize-request.ts';
import { peerOf, type VerifiedPeer } from './mtls/verified-peer.ts';
import { peerAddress } from './http-proxy.ts';
import { inboundHost, listenerService, type ListenerBinding, type ProxyContext } from './proxy-context.ts';
import { resolveHttpDestination, type RouteTable, type ServiceRoute } from './route-table.ts';
import { RequestFacts } from './routing/request-facts.ts';
import type { AttemptSpan, RequestTrace } from './tracing/request-trace.ts';
import type { InboundRequest, Tracer } from './tracing/tracer.ts';
import { isoNow } from './utc-time.ts';

/**
 * Outcome of {@link routeUpgrade}: the endpoint, or the agent's own answer with Envoy's flag; either
 * way the labels and destination service its metrics and access log line report.
 */
export type UpgradeRoute =
  | { kind: 'endpoint'; host: string; port: number; serverId?: string; labels: LabelBase; destination: string; cluster: Cluster; endpoint: ClusterHost }
  | { kind: 'refuse'; status: string; flags: string; labels: LabelBase; destination: string };

/**
 * Where an outbound Upgrade request goes: the destination's VirtualService route (or default route),
 * its weighted destination and that cluster's balancer. Rewrites, retries and timeouts do not apply
 * to upgraded connections.
 */
export function routeUpgrade(table: RouteTable, req: IncomingMessage, binding: ListenerBinding): UpgradeRoute {
  const host = req.headers.host;
  const dest = resolveHttpDestination(table, host, listenerService(table, binding), binding.port);
  if (!dest) return { kind: 'refuse', status: '404 Not Found', flags: 'NR', labels: table.noRoute, destination: UNKNOWN };
  const svc = dest.service;
  const noRoute = { kind: 'refuse', status: '404 Not Found', flags: 'NR', labels: svc.noEndpoint, destination: svc.name } as const;
  let route = svc.defaultRoute;
  if (svc.router) {
    const facts = new RequestFacts(req.method ?? 'GET', req.url ?? '/', host ?? '', 'http', dest.port, req.headers, peerAddress(req));
    const r = svc.router.match(facts);
    if (!r) return noRoute;
    route = r;
  }
  if (route.directResponse || route.redirect) return noRoute;
  const t = route.pickTarget();
  const target = t?.service as ServiceRoute | undefined;
  const destination = target?.name ?? svc.name;
  const labels = target?.noEndpoint ?? svc.noEndpoint;
  const chain = t?.chains.get(t.port ?? dest.port);
  const endpoint = chain?.cluster.pick([], undefined, undefined);
  if (!endpoint) return { kind: 'refuse', status: '503 Service Unavailable', flags: t?.missing ? 'NC' : 'UH', labels, destination };
  const e = endpoint.endpoint;
  const to = { kind: 'endpoint' as const, host: e.dialHost, port: e.dialPort, labels: e.http, destination, cluster: chain!.cluster, endpoint };
  return e.serverId ? { ...to, serverId: e.serverId } : to;
}

/**
 * The request head to send upstream for an Upgrade request (pure): request line, filtered headers,
 * extra headers, then `Connection: Upgrade` and the `Upgrade` value.
 */
export function upgradeHead(method: string, url: string, raw: readonly string[], extra: readonly string[], upgrade: string): string {
  return headText(method, url, withRequestId(forwardHeaders(raw)), extra, upgrade);
}

function headText(method: string, url: string, head: ForwardHead, extra: readonly string[], upgrade: string): string {
  const lines = [`${method} ${url} HTTP/1.1`];
  const all = [...head.headers, ...extra];
  for (let i = 0; i < all.length; i += 2) lines.push(`${all[i]}: ${all[i + 1]}`);
  lines.push('Connection: Upgrade', `Upgrade: ${upgrade}`, '', '');
  return lines.join('\r\n');
}

/** The status code of a response's first line (`HTTP/1.1 101 Switching Protocols`); 0 when it is not one. */
export function responseStatus(line: string): number {
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})(?: |$)/.exec(line);
  return m ? Number(m[1]) : 0;
}

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
/** A response head longer than this is not read for its status (its bytes still pass). */
const MAX_HEAD = 16 * 1024;

/**
 * What one Upgrade request's metrics, access log line and spans say, filled in as it goes and
 * reported once, when its connection ends, as Envoy reports an upgraded stream: the upstream's
 * status (101 when it switched protocols), the tunnel's bytes each way as the request's and the
 * response's body, and the whole connection's duration. A request the agent answers itself is
 * reported at once. It is the request the spans read ({@link InboundRequest}).
 */
export class UpgradeReport implements InboundRequest {
  readonly start = performance.now();
  readonly method: string;
  readonly h2 = false;
  /** The downstream peer's address. */
  readonly peer: string;
  readonly head: ForwardHead;
  readonly req: { readonly url?: string; readonly headers?: IncomingHttpHeaders };
  readonly binding: ListenerBinding;
  /** Tracing on: the request's trace, and (outbound, sampled) its attempt's CLIENT span. */
  trace: RequestTrace | undefined = undefined;
  span: AttemptSpan | undefined = undefined;
  labels: LabelBase | undefined = undefined;
  source: string = UNKNOWN;
  destination: string = UNKNOWN;
  upstream: string | null = null;
  status = 0;
  flags = '-';
  attempts = 0;
  requestBytes = 0;
  responseBytes = 0;
  verifiedPeer: VerifiedPeer | undefined = undefined;
  audit = false;
  reported = false;
  /** The upstream's response head so far; null once its end is seen. */
  #head: Buffer | null = Buffer.alloc(0);

  constructor(method: string, url: string, head: ForwardHead, binding: ListenerBinding, peer: string, headers?: IncomingHttpHeaders) {
    this.method = method;
    this.req = { url, headers };
    this.head = head;
    this.binding = binding;
    this.peer = peer;
  }

  /** Bytes from the upstream: its response head (read for the status) until the head's end, then body. */
  fromUpstream(chunk: Buffer): void {
    const head = this.#head;
    if (head === null) {
      this.responseBytes += chunk.length;
      return;
    }
    const all = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const end = all.indexOf(CRLFCRLF);
    if (end < 0 && all.length < MAX_HEAD) {
      this.#head = all;
      return;
    }
    this.#head = null;
    const eol = all.indexOf(CRLF);
    this.status = responseStatus(all.toString('latin1', 0, eol < 0 ? Math.min(all.length, 64) : eol));
    this.responseBytes += end < 0 ? all.length : all.length - end - CRLFCRLF.length;
  }
}

function refuse(socket: Socket, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

const NO_SOURCE: SourceHeaders = {};

/**
 * HTTP Upgrade (WebSocket and the like): picks the upstream like a plain request, replays the request
 * head, then pipes the two connections both ways; the upstream's 101 answer passes through untouched.
 * Each request is reported like any other (istio_* metrics, access log) when its connection ends.
 */
export class UpgradeProxy {
  readonly #ctx: ProxyContext;

  constructor(ctx: ProxyContext) {
    this.#ctx = ctx;
  }

  /** Handles a listener HTTP server's 'upgrade' event. Never throws. */
  handle(req: IncomingMessage, socket: Socket, head: Buffer, binding: ListenerBinding): void {
    const ctx = this.#ctx;
    const table = ctx.tables.current;
    socket.on('error', () => socket.destroy());
    // With tracing on, the agent writes the trace headers itself (as for plain requests).
    const tracer = ctx.tracing.current;
    const fwd = withRequestId(forwardHeaders(req.rawHeaders, tracer !== null));
    const r = new UpgradeReport(req.method ?? 'GET', req.url ?? '/', fwd, binding, peerAddress(req), req.headers);
    if (tracer) r.trace = tracer.begin(fwd.trace, binding.direction === 'inbound');
    const answer = (status: string, flags: string): void => {
      r.status = Number(status.slice(0, 3));
      r.flags = flags;
      refuse(socket, status);
      this.#report(r, tracer);
    };
    let host: string;
    let port: number;
    let serverId: string | undefined;
    let extra: readonly string[] = [];
    const canon = canonicalRequest(req.rawHeaders, req.method ?? 'GET', req.url ?? '/', req.headers.host);
    if (binding.direction === 'inbound') {
      ctx.counters.inbound.requests++;
      // As for plain requests: only a peer agent verified by mTLS speaks for its source.
      const peer = peerOf(socket);
      const source = peer ? fwd.source : NO_SOURCE;
      r.verifiedPeer = peer;
      r.labels = ctx.inboundLabels.get(table, source, 'http', peer);
      r.source = source.service ?? peer?.service ?? UNKNOWN;
      r.destination = table?.self.app ?? UNKNOWN;
      if (canon.reject !== undefined) return answer('400 Bad Request', 'DPE');
      if (table?.authz.enforcing) {
        const d = authorizeRequest(table.authz, req, peer, canon, binding.port);
        if (d.audit) r.audit = true;
        if (!d.allow) return answer('403 Forbidden', 'RBAC');
      }
      if (peer) extra = [XFCC_HEADER, peer.xfcc];
      const trace = r.trace;
      if (trace) {
        // Sampled: the app's parent is the agent's SERVER span; else the context passes on as is.
        if (trace.record) tracer!.pushServer(trace, fwd.headers);
        else tracer!.pushPassthrough(trace, fwd.headers);
      }
      host = inboundHost(ctx, binding);
      port = binding.port;
    } else {
      ctx.counters.outbound.requests++;
      if (canon.reject !== undefined) return answer('400 Bad Request', 'DPE');
      if (!table) return answer('503 Service Unavailable', 'NR');
      r.source = table.self.app;
      const choice = routeUpgrade(table, req, binding);
      r.labels = choice.labels;
      r.destination = choice.destination;
      if (choice.kind === 'refuse') return answer(choice.status, choice.flags);
      host = choice.host;
      port = choice.port;
      serverId = choice.serverId;
      extra = table.sourceHeaders;
      const trace = r.trace;
      if (trace?.record) {
        // The attempt's CLIENT span, the upstream's parent.
        const a = tracer!.attempt(trace, r, choice.cluster, choice.endpoint, 1, fwd.headers);
        r.span = a.span;
        fwd.headers = a.headers;
      } else if (trace) tracer!.pushPassthrough(trace, fwd.headers);
    }
    r.upstream = `${host}:${port}`;
    r.attempts = 1;
    r.requestBytes = head.length;
    const text = headText(req.method ?? 'GET', canon.target, fwd, extra, req.headers.upgrade ?? 'websocket');
    let connected = false;
    let gone = false;
    // Reported when both connections are closed (the downstream one, and the upstream one if made).
    let open = 1;
    const closed = (): void => {
      if (--open === 0) this.#report(r, tracer);
    };
    const up = (upstream: Socket) => {
      connected = true;
      open++;
      upstream.once('close', closed);
      upstream.on('error', () => upstream.destroy());
      if (gone) return upstream.destroy();
      upstream.on('data', (chunk: Buffer) => r.fromUpstream(chunk));
      socket.on('data', (chunk: Buffer) => {
        r.requestBytes += chunk.length;
      });
      upstream.write(text);
      if (head.length > 0) upstream.write(head);
      pipeline(socket, upstream, () => {});
      pipeline(upstream, socket, () => {});
    };
    const failed = (): void => {
      r.status = 503;
      r.flags = 'UF';
      if (!gone) refuse(socket, '503 Service Unavailable');
    };
    let plain: Socket | undefined;
    socket.once('close', () => {
      gone = true;
      if (!connected) {
        plain?.destroy();
        // Gone before the upstream was reached (a connect failure has said UF already).
        if (r.flags === '-') r.flags = 'DC';
      } else if (r.status === 0) r.flags = 'UC';
      closed();
    });
    if (serverId) {
      ctx.mesh.connect(host, port, serverId, ['http/1.1'], 10_000, (err, s) => {
        if (err) return failed();
        up(s!);
      });
      return;
    }
    plain = connect({ host, port, noDelay: true });
    plain.once('error', () => {
      if (!connected) failed();
    });
    plain.once('connect', () => up(plain!));
  }

  /** The istio_* metrics, the spans and the access log line of an Upgrade request, once. */
  #report(r: UpgradeReport, tracer: Tracer | null): void {
    if (r.reported) return;
    r.reported = true;
    const ctx = this.#ctx;
    const duration = performance.now() - r.start;
    if (r.labels) ctx.metrics.request(r.labels, r.status, r.flags, duration, r.requestBytes, r.responseBytes, r);
    const trace = r.trace;
    if (trace?.record) {
      if (r.binding.direction === 'inbound') tracer!.serverSpan(trace, r, r.status, r.flags);
      else if (r.span) {
        // The attempt's own outcome: the upstream's status, or no answer and why.
        const failed = r.flags === '-' ? undefined : new LocalReply(0, r.flags as ResponseFlag, r.flags);
        r.span.end(failed ? 0 : r.status, failed);
      } else tracer!.localSpan(trace, r, r.status, r.flags);
    }
    const logged = ctx.accessLog.logs(r.binding.direction);
    if (!logged && !ctx.tap.active) return;
    const fwd = r.head;
    const entry: AccessLogEntry = {
      time: isoNow(),
      trace_id: trace ? trace.traceId : traceIdOf(fwd.trace?.traceparent, fwd.trace?.b3TraceId),
      request_id: fwd.requestId ?? null,
      method: r.method,
      path: r.req.url ?? '',
      status: r.status,
      duration_ms: Math.round(duration * 1000) / 1000,
      source_service: r.source,
      destination_service: r.destination,
      upstream: r.upstream,
      attempts: r.attempts,
      response_flags: r.flags,
      direction: r.binding.direction,
    };
    if (r.verifiedPeer) entry.source_principal = r.verifiedPeer.spiffeId;
    if (r.audit) entry.audit = true;
    if (logged) ctx.accessLog.write(entry, r.req.headers);
    if (ctx.tap.active) ctx.tap.publish(entry);
  }
}
