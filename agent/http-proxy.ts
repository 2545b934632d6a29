import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { traceIdOf, type AccessLogEntry } from './access-log.ts';
import { canonicalRequest, type CanonicalRequest } from './canonical/canonical-request.ts';
import { XFCC_HEADER } from './identity/xfcc.ts';
import { authorizeRequest } from './mtls/authorize-request.ts';
import { peerOf, type VerifiedPeer } from './mtls/verified-peer.ts';
import type { JwtAuthn } from './authn/jwt-authn.ts';
import type { RequestAuth } from './authz/compile-authz.ts';
import { requestHash } from './balancing/hash-key.ts';
import type { Dispatch } from './dispatch/dispatch.ts';
import { LocalReply } from './dispatch/local-reply.ts';
import { ReplayableBody } from './dispatch/replayable-body.ts';
import { Exchange, type DownstreamResponse, type ExchangeOwner } from './exchange.ts';
import { forwardHeaders, withRequestId, type SourceHeaders } from './forward-headers.ts';
import { UNKNOWN } from './istio-labels.ts';
import { Mirror } from './mirror.ts';
import { skipDump } from './skip-dump.ts';
import { inboundHost, listenerService, type ListenerBinding, type ProxyContext } from './proxy-context.ts';
import { addressOf, resolveHttpDestination, type ServiceRoute } from './route-table.ts';
import type { TokenBucket } from './resilience/token-bucket.ts';
import type { HttpRoute, RouteTarget } from './routing/http-route.ts';
import { RequestFacts } from './routing/request-facts.ts';
import { defaultPoolSpec, h2PoolSpec, type PoolSpec } from './upstream-pools.ts';
import { httpDateNow, isoNow } from './utc-time.ts';
import { prefixRedirectPath } from './routing/uri-rewrite.ts';

/** The downstream peer's address without the IPv4-mapped prefix. */
export function peerAddress(req: IncomingMessage, known?: string): string {
  const a = known || (req.socket?.remoteAddress ?? '');
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** The origin-form target of a request (an absolute-form target reduced to path and query), or null. */
export function originForm(url: string): string | null {
  if (url.startsWith('/')) return url;
  if (url === '*') return url;
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return null;
  }
}

/** `host` with Envoy's shadow suffix on the host part: `api:8080` → `api-shadow:8080`. */
export function shadowHost(host: string): string {
  const colon = host.lastIndexOf(':');
  if (colon > 0 && !host.endsWith(']') && host.indexOf(':') === colon) return `${host.slice(0, colon)}-shadow${host.slice(colon)}`;
  return `${host}-shadow`;
}

/**
 * The HTTP data path for both directions. Outbound: resolves the destination service, matches its
 * VirtualService routes (or takes the default route), answers redirects and direct responses,
 * injects faults, applies the service's rate limit, sends mirrors, rewrites the request, and hands
 * it to the destination's composed policy chain (timeout → retry → circuit breaker → balancer →
 * connection pool). Inbound: forwards to the app port. Records metrics and the access log.
 */
export class HttpProxy implements ExchangeOwner {
  readonly #ctx: ProxyContext;
  readonly #h2Specs = new Map<string, PoolSpec>();

  constructor(ctx: ProxyContext) {
    this.#ctx = ctx;
  }

  /** The h2c pool of an app port (inbound gRPC). */
  #h2Spec(target: string): PoolSpec {
    let spec = this.#h2Specs.get(target);
    if (!spec) this.#h2Specs.set(target, (spec = h2PoolSpec(defaultPoolSpec(target))));
    return spec;
  }

  /**
   * Handles one request from a listener's HTTP server (HTTP/1.1, or HTTP/2 when `h2`, whose
   * connection address the listener passes as `peer`). Never throws.
   */
  handle(req: IncomingMessage, res: DownstreamResponse, binding: ListenerBinding, h2 = false, peer?: string): void {
    const ctx = this.#ctx;
    const table = ctx.tables.current;
    const tracer = ctx.tracing.current;
    const head = forwardHeaders(req.rawHeaders, tracer !== null);
    if (h2) {
      const authority = req.headers[':authority'];
      if (head.host === undefined && typeof authority === 'string') head.host = authority;
      // HTTP/2 has no framing headers: a request has a body unless its HEADERS frame ended the stream.
      head.hasBody = (req as unknown as { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders === false;
    } else if (!head.hasBody) skipDump(req);
    withRequestId(head);
    const ex = new Exchange(this, req, res, binding, head, table, h2);
    ex.peer = peerAddress(req, peer);
    if (tracer) {
      ex.tracer = tracer;
      ex.trace = tracer.begin(head.trace, binding.direction === 'inbound');
    }
    // The canonical request, before routing, authorization and rate limiting; forwarded as is.
    const canon = canonicalRequest(req.rawHeaders, ex.method, req.url ?? '/', head.host);
    if (canon.reject !== undefined) return this.#badRequest(ex, canon.reject);
    const target = canon.target;
    ex.upstreamPath = target;
    if (binding.direction === 'inbound') return this.#inbound(ex, canon);
    ctx.counters.outbound.requests++;
    if (!table) return this.#local(ex, 503, 'NR', 'no configuration yet');
    ex.source = table.self.app;
    head.headers.push(...table.sourceHeaders, 'x-forwarded-for', ex.peer, 'x-forwarded-proto', 'http');
    // Sampled: each attempt adds its own span's context (Exchange.onHost); else it passes on as is.
    if (ex.trace && !ex.trace.record) tracer!.pushPassthrough(ex.trace, head.headers);
    const dest = resolveHttpDestination(table, head.host, listenerService(table, binding), binding.port);
    if (!dest) {
      ex.labels = table.noRoute;
      return this.#local(ex, 404, 'NR', 'no route to this host');
    }
    const svc = dest.service;
    ex.destination = svc.name;
    ex.labels = svc.noEndpoint;
    let facts: RequestFacts | undefined;
    let route: HttpRoute | undefined = svc.defaultRoute;
    if (svc.router) {
      facts = new RequestFacts(ex.method, target, head.host ?? '', 'http', dest.port, req.headers, ex.peer);
      route = svc.router.match(facts);
      if (!route) return this.#local(ex, 404, 'NR', 'no matching route');
    }
    ex.route = route;
    if (route.directResponse) return this.#direct(ex, route.directResponse.status, route.directResponse.body);
    if (route.redirect) return this.#redirect(ex, route, facts);
    const t = route.pickTarget();
    if (!t) return this.#local(ex, 503, 'NR', 'route has no destination');
    ex.target = t;
    if (t.service) {
      ex.destination = t.service.name;
      ex.labels = (t.service as ServiceRoute).noEndpoint ?? ex.labels;
    }
    if (t.missing) return this.#local(ex, 503, 'NC', 'no cluster for this destination');
    const port = t.port ?? dest.port;
    const chain = t.chains.get(port);
    if (!chain) return this.#local(ex, 503, 'UH', 'no healthy upstream');
    this.#prepare(ex, route, t, facts, target);
    const hashOn = chain.cluster.policy?.loadBalancer?.consistentHash;
    if (hashOn) {
      const h = requestHash(hashOn, req.headers, target, ex.peer);
      ex.hash = h.hash;
      ex.setCookie = h.setCookie;
    }
    if (chain.cluster.policy?.loadBalancer?.simple === 'PASSTHROUGH') ex.original = addressOf(head.host);
    const fault = route.fault?.decide();
    if (!fault) return this.#forward(ex, svc, route, chain.dispatch, port);
    if (fault.delayMs > 0) ex.flags = 'DI';
    const then = () => {
      if (ex.downstreamGone) return this.#finish(ex, 0, 'DC');
      if (fault.abortStatus === 0) return this.#forward(ex, svc, route, chain.dispatch, port);
      ex.flags = ex.flags ? `${ex.flags},FI` : 'FI';
      if (fault.abortGrpc >= 0) return this.#grpcAbort(ex, fault.abortGrpc);
      this.#local(ex, fault.abortStatus, ex.flags, 'fault filter abort');
    };
    if (fault.delayMs > 0) setTimeout(then, fault.delayMs);
    else then();
  }

  /** Rate limits, mirrors, then the destination's policy chain. */
  #forward(ex: Exchange, svc: ServiceRoute, route: HttpRoute, dispatch: Dispatch, port: number): void {
    const limited = this.#limited(svc.rateLimit) ?? this.#limited(route.rateLimit);
    if (limited !== undefined) {
      this.#ctx.traffic.rateLimited(svc.key);
      return this.#local(ex, 429, 'RL', 'local_rate_limited', ['retry-after', String(limited)]);
    }
    if (route.mirrors.length > 0) this.#mirror(ex, route, port);
    dispatch(ex, ex);
  }

  /** Takes a token from `bucket`; the Retry-After seconds when there is none. */
  #limited(bucket: TokenBucket | undefined): number | undefined {
    if (!bucket) return undefined;
    const now = Date.now();
    return bucket.take(now) ? undefined : bucket.retryAfterSeconds(now);
  }

  /** Rewrites path, authority and headers for the upstream, and sets up the request body. */
  #prepare(ex: Exchange, route: HttpRoute, t: RouteTarget, facts: RequestFacts | undefined, target: string): void {
    if (route.rewriteUri) ex.upstreamPath = route.rewriteUri(target, facts?.matched);
    let headers = ex.upstreamHeaders;
    if (route.rewriteAuthority !== undefined) headers = replaceHost(headers, route.rewriteAuthority);
    if (t.requestHeaders) headers = t.requestHeaders.applyFlat(headers);
    if (route.requestHeaders) headers = route.requestHeaders.applyFlat(headers);
    ex.upstreamHeaders = headers;
    if (ex.head.hasBody) {
      const keep = route.retry.attempts > 0 || route.mirrors.length > 0;
      ex.body = new ReplayableBody(ex.req, keep ? undefined : 0);
    }
  }

  #mirror(ex: Exchange, route: HttpRoute, port: number): void {
    for (const m of route.mirrors) {
      if (m.percent < 100 && Math.random() * 100 >= m.percent) continue;
      const chain = m.target.chains.get(m.target.port ?? port);
      if (!chain || m.target.missing) continue;
      const headers = replaceHost(ex.upstreamHeaders, shadowHost(ex.head.host ?? m.target.serviceName));
      if (ex.trace?.record) ex.tracer!.pushPassthrough(ex.trace, headers);
      const body = ex.body as ReplayableBody | null;
      const send = (chunks: Buffer[] | null) => {
        if (body && !chunks) return;
        const call = new Mirror(ex.method, ex.upstreamPath, headers, chunks, ex.h2);
        chain.dispatch(call, call);
        this.#ctx.traffic.mirrored(m.target.serviceName);
      };
      if (body) void body.complete().then(send);
      else send(null);
    }
  }

  #inbound(ex: Exchange, canon: CanonicalRequest): void {
    const ctx = this.#ctx;
    const { head, binding, table, req } = ex;
    ctx.counters.inbound.requests++;
    // Only a peer agent verified by mTLS speaks for the caller: its x-dockmesh-source-* headers and
    // forwarded-for are kept; a plaintext client's are ignored (and stripped like all x-dockmesh-*).
    const peer = peerOf(req.socket);
    ex.verifiedPeer = peer;
    const source: SourceHeaders = peer ? head.source : NO_SOURCE;
    ex.labels = ctx.inboundLabels.get(table, source, 'http', peer);
    ex.source = source.service ?? peer?.service ?? UNKNOWN;
    ex.destination = table?.self.app ?? UNKNOWN;
    if (table?.jwt) return this.#authenticate(ex, canon, table.jwt, peer);
    this.#authorized(ex, canon, peer, undefined);
  }

  /** RequestAuthentication before authorization: 401 for an invalid token (or a missing one a STRICT rule needs). */
  #authenticate(ex: Exchange, canon: CanonicalRequest, jwt: JwtAuthn, peer: VerifiedPeer | undefined): void {
    const o = jwt.authenticate(ex.req.headers, queryOf(ex.upstreamPath), Date.now() / 1000);
    if (o.kind === 'wait') {
      void o.ready.then(() => (ex.downstreamGone ? this.#finish(ex, 0, 'DC') : this.#authenticate(ex, canon, jwt, peer)));
      return;
    }
    if (o.kind === 'fail') return this.#unauthenticated(ex, o.message, o.missing);
    if (o.kind === 'ok') ex.upstreamHeaders = jwt.forwardHeaders(ex.upstreamHeaders, o);
    this.#authorized(ex, canon, peer, o.kind === 'ok' ? o.auth : undefined);
  }

  #authorized(ex: Exchange, canon: CanonicalRequest, peer: VerifiedPeer | undefined, auth: RequestAuth | undefined): void {
    const ctx = this.#ctx;
    const { head, binding, table, req } = ex;
    if (table?.authz.enforcing) {
      const d = authorizeRequest(table.authz, req, peer, canon, binding.port, ex.peer, auth);
      if (d.audit) ex.audit = true;
      if (!d.allow) return this.#denied(ex);
    }
    const headers = ex.upstreamHeaders;
    const fromPeer = peer !== undefined && head.forwardedFor !== undefined;
    headers.push('x-forwarded-for', fromPeer ? head.forwardedFor! : ex.peer, 'x-forwarded-proto', fromPeer ? (head.forwardedProto ?? 'http') : 'http');
    if (peer) headers.push(XFCC_HEADER, peer.xfcc);
    const trace = ex.trace;
    if (trace) {
      // Sampled: the app's parent is the agent's SERVER span; else the context passes on as is.
      if (trace.record) ex.tracer!.pushServer(trace, headers);
      else ex.tracer!.pushPassthrough(trace, headers);
    }
    const target = `${inboundHost(ctx, binding)}:${binding.port}`;
    ex.attempts = 1;
    ex.upstream = target;
    if (head.hasBody) ex.body = new ReplayableBody(ex.req, 0);
    try {
      const pool = ex.h2 ? ctx.pools.get(this.#h2Spec(target)) : ctx.pools.forTarget(target);
      pool.dispatch({ path: ex.upstreamPath, method: ex.method, headers: ex.upstreamHeaders, body: ex.body ? ex.body.stream() : null }, ex);
    } catch (err) {
      this.failed(ex, err as Error);
    }
  }

  /** {@link ExchangeOwner.done}. */
  done(ex: Exchange, status: number, flags: string): void {
    this.#finish(ex, status, flags);
  }

  /** {@link ExchangeOwner.failed}: answers locally (503 UF, 504 UT, 503 UO, ...) or records a broken response. */
  failed(ex: Exchange, err: Error): void {
    const { res } = ex;
    if (ex.finished) return;
    const local = err instanceof LocalReply ? err : undefined;
    if (ex.responded || res.headersSent) {
      const gone = ex.downstreamGone && !res.writableFinished;
      res.destroy();
      const flag = local?.flag === 'UT' ? 'UT' : gone ? 'DC' : 'UC';
      return this.#finish(ex, res.statusCode, flag);
    }
    if (local?.flag === 'DC' || ex.downstreamGone) return this.#finish(ex, 0, 'DC');
    if (ex.bodyStarted) (res as ServerResponse).shouldKeepAlive = false;
    const urx = ex.flags === 'URX' ? ',URX' : '';
    if (local) return this.#local(ex, local.status, `${local.flag}${urx}`, local.message);
    if ((err as { code?: string }).code === 'UND_ERR_INVALID_ARG') return this.#local(ex, 400, 'DPE', 'request not forwardable');
    this.#local(ex, 503, `UF${urx}`, 'upstream connect error or disconnect/reset before headers');
  }

  #redirect(ex: Exchange, route: HttpRoute, facts: RequestFacts | undefined): void {
    const r = route.redirect!;
    const host = ex.head.host ?? '';
    const colon = host.lastIndexOf(':');
    const hostname = r.authority ?? (colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host);
    const scheme = r.scheme ?? 'http';
    const requestPort = colon > 0 && !host.endsWith(']') ? Number(host.slice(colon + 1)) : undefined;
    const explicitPort =
      r.port ??
      (r.derivePort === 'FROM_PROTOCOL_DEFAULT' ? undefined
        : r.derivePort === 'FROM_REQUEST_PORT' ? ex.binding.port
        : r.authority === undefined ? requestPort : undefined);
    const portText = explicitPort && !((scheme === 'http' && explicitPort === 80) || (scheme === 'https' && explicitPort === 443)) ? `:${explicitPort}` : '';
    const path = r.uri !== undefined ? r.uri + querySuffix(ex.upstreamPath)
      : r.prefixRewrite !== undefined ? prefixRedirectPath(ex.upstreamPath, facts?.matched, r.prefixRewrite)
      : ex.upstreamPath;
    const location = `${scheme}://${hostname}${portText}${path}`;
    this.#direct(ex, r.redirectCode, undefined, ['location', location]);
  }

  #direct(ex: Exchange, status: number, body: string | undefined, extra: string[] = []): void {
    const res = ex.res;
    const text = body ?? '';
    const headers: Record<string, string | number> = { date: httpDateNow(), 'content-length': Buffer.byteLength(text) };
    if (text) headers['content-type'] = 'text/plain';
    for (let i = 0; i < extra.length; i += 2) headers[extra[i]!] = extra[i + 1]!;
    ex.route?.responseHeaders?.applyObject(headers as Record<string, string>);
    (res as ServerResponse).writeHead(status, headers);
    res.end(text);
    ex.responseBytes = Buffer.byteLength(text);
    this.#finish(ex, status, '-');
  }

  #grpcAbort(ex: Exchange, grpcStatus: number): void {
    const res = ex.res as ServerResponse;
    if (!res.headersSent) {
      res.writeHead(200, { date: httpDateNow(), 'content-type': 'application/grpc', 'grpc-status': String(grpcStatus), 'grpc-message': 'fault filter abort' });
      res.end();
    }
    this.#finish(ex, 200, ex.flags);
  }

  /** An ambiguous or malformed request: 400, and the connection closed after it. */
  #badRequest(ex: Exchange, reason: string): void {
    const res = ex.res as ServerResponse;
    if (!ex.h2) res.shouldKeepAlive = false;
    this.#ctx.counters[ex.binding.direction].requests++;
    this.#local(ex, 400, 'DPE', `bad request: ${reason}`, ex.h2 ? undefined : ['connection', 'close']);
  }

  /** Denied by an AuthorizationPolicy: Envoy's RBAC answer. */
  /** Envoy's jwt_authn refusal: 401 with the verification status as the body and a WWW-Authenticate challenge. */
  #unauthenticated(ex: Exchange, message: string, missing: boolean): void {
    const realm = `Bearer realm="http://${ex.head.host ?? ''}${pathOf(ex.upstreamPath)}"`;
    this.#plain(ex, 401, '-', message, ['www-authenticate', missing ? realm : `${realm}, error="invalid_token"`]);
  }

  #denied(ex: Exchange): void {
    this.#plain(ex, 403, 'RBAC', RBAC_DENIED);
  }

  #local(ex: Exchange, status: number, flags: string, text: string, extra?: string[]): void {
    this.#plain(ex, status, flags, `${text}\n`, extra);
  }

  /** Answers with `body` as text/plain (plus `extra` headers, flat), unless a response has begun; then finishes the exchange. */
  #plain(ex: Exchange, status: number, flags: string, body: string | Buffer, extra?: string[]): void {
    const res = ex.res as ServerResponse;
    if (!res.headersSent && !res.destroyed) {
      const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      const headers: Record<string, string | number> = { date: httpDateNow(), 'content-type': 'text/plain', 'content-length': length };
      if (extra) for (let i = 0; i < extra.length; i += 2) headers[extra[i]!] = extra[i + 1]!;
      res.writeHead(status, headers);
      res.end(body);
      ex.responseBytes = length;
    }
    this.#finish(ex, status, flags);
  }

  #finish(ex: Exchange, status: number, flags: string): void {
    if (ex.finished) return;
    ex.finished = true;
    const ctx = this.#ctx;
    const duration = performance.now() - ex.start;
    const requestBytes = ex.head.contentLength ?? ex.requestBytes;
    if (ex.labels) ctx.metrics.request(ex.labels, status, flags, duration, requestBytes, ex.responseBytes, ex);
    const trace = ex.trace;
    if (trace?.record) {
      if (ex.binding.direction === 'inbound') ex.tracer!.serverSpan(trace, ex, status, flags);
      else if (ex.attempts === 0) ex.tracer!.localSpan(trace, ex, status, flags);
    }
    const logged = ctx.accessLog.logs(ex.binding.direction);
    if (!logged && !ctx.tap.active) return;
    const { req, head } = ex;
    const entry: AccessLogEntry = {
      time: isoNow(),
      trace_id: trace ? trace.traceId : traceIdOf(head.trace?.traceparent, head.trace?.b3TraceId),
      request_id: head.requestId ?? null,
      method: req.method ?? '',
      path: req.url ?? '',
      status,
      duration_ms: Math.round(duration * 1000) / 1000,
      source_service: ex.source,
      destination_service: ex.destination,
      upstream: ex.upstream,
      attempts: ex.attempts,
      response_flags: flags,
      direction: ex.binding.direction,
    };
    if (ex.verifiedPeer) entry.source_principal = ex.verifiedPeer.spiffeId;
    if (ex.audit) entry.audit = true;
    if (logged) ctx.accessLog.write(entry, req.headers);
    if (ctx.tap.active) ctx.tap.publish(entry);
  }
}

const NO_SOURCE: SourceHeaders = {};
const RBAC_DENIED = Buffer.from('RBAC: access denied');

/** The raw query string of a request target, without `?` ('' when none). */
function queryOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? '' : target.slice(q + 1);
}

function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? target : target.slice(0, q);
}

function querySuffix(target: string): string {
  const q = target.indexOf('?');
  return q < 0 ? '' : target.slice(q);
}

/** Flat headers with `host` replaced by `host` (added when absent). */
function replaceHost(headers: readonly string[], host: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() !== 'host') out.push(headers[i]!, headers[i + 1]!);
  out.push('host', host);
  return out;
}

