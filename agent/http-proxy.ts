import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { traceIdOf } from './access-log.ts';
import type { Dispatcher } from 'undici';
import { Exchange, type ExchangeOwner } from './exchange.ts';
import { forwardHeaders } from './forward-headers.ts';
import { UNKNOWN } from './istio-labels.ts';
import { listenerService, type ListenerBinding, type ProxyContext } from './proxy-context.ts';
import { pickHttpUpstream, type EndpointRoute } from './route-table.ts';

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const RESET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** True for errors raised while connecting, before any request byte reached the upstream. */
export function isConnectError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code !== undefined && CONNECT_ERRORS.has(code);
}

/**
 * Whether a failed attempt may go to another endpoint (pure): connect failures before any body byte
 * left, and connection resets before any response byte for bodiless safe methods (a keep-alive
 * connection closed by a draining peer agent).
 */
export function isRetriable(err: unknown, method: string, bodyStarted: boolean, hasBody: boolean): boolean {
  if (bodyStarted) return false;
  if (isConnectError(err)) return true;
  const code = (err as { code?: string } | null)?.code;
  return !hasBody && SAFE_METHODS.has(method) && code !== undefined && RESET_ERRORS.has(code);
}

/**
 * The HTTP/1.1 data path for both directions: picks the upstream, rewrites headers, dispatches the
 * request on the endpoint's undici pool (an {@link Exchange} relays the response), retries once on
 * another endpoint when that is safe, and records metrics and the access log.
 */
export class HttpProxy implements ExchangeOwner {
  readonly #ctx: ProxyContext;

  constructor(ctx: ProxyContext) {
    this.#ctx = ctx;
  }

  /** Handles one request from a listener's HTTP server. Never throws. */
  handle(req: IncomingMessage, res: ServerResponse, binding: ListenerBinding): void {
    const ctx = this.#ctx;
    const table = ctx.tables.current;
    const head = forwardHeaders(req.rawHeaders);
    if (!head.requestId) {
      head.requestId = randomUUID();
      head.headers.push('x-request-id', head.requestId);
    }
    const ex = new Exchange(this, req, res, binding, head, table);
    if (binding.direction === 'inbound') {
      ctx.counters.inbound.requests++;
      ex.labels = ctx.inboundLabels.get(table, head.source, 'http');
      ex.source = head.source.service ?? UNKNOWN;
      ex.destination = table?.self.app ?? UNKNOWN;
      this.#send(ex, `${ctx.appHost}:${binding.port}`);
      return;
    }
    ctx.counters.outbound.requests++;
    if (!table) return this.#local(ex, 503, 'NR', 'no configuration yet');
    ex.source = table.self.app;
    head.headers.push(...table.sourceHeaders);
    const choice = pickHttpUpstream(table, head.host, listenerService(table, binding), binding.port);
    if (choice.kind === 'no-service') {
      ex.labels = table.noRoute;
      return this.#local(ex, 404, 'NR', 'no route to this host');
    }
    ex.destination = choice.service.name;
    if (choice.kind === 'no-endpoint') {
      ex.labels = choice.service.noEndpoint;
      return this.#local(ex, 503, 'UH', 'no healthy upstream');
    }
    ex.portRoute = choice.portRoute;
    this.#sendTo(ex, choice.endpoint);
  }

  #sendTo(ex: Exchange, endpoint: EndpointRoute): void {
    ex.endpoint = endpoint;
    ex.labels = endpoint.http;
    this.#send(ex, endpoint.target);
  }

  #send(ex: Exchange, target: string): void {
    ex.attempts++;
    ex.upstream = target;
    const { req, head } = ex;
    let path = req.url ?? '/';
    if (!path.startsWith('/')) {
      try {
        const u = new URL(path);
        path = u.pathname + u.search;
      } catch {
        return this.#local(ex, 400, 'DPE', 'bad request target');
      }
    }
    const options: Dispatcher.DispatchOptions = {
      path,
      method: req.method ?? 'GET',
      headers: head.headers,
      // undici accepts async iterables at run time; its types only list Readable.
      body: head.hasBody ? (ex.body() as unknown as Readable) : null,
    };
    try {
      this.#ctx.pools.get(target).dispatch(options, ex);
    } catch (err) {
      this.failed(ex, err as Error);
    }
  }

  /** {@link ExchangeOwner.done}. */
  done(ex: Exchange, status: number, flags: string): void {
    this.#finish(ex, status, flags);
  }

  /** {@link ExchangeOwner.failed}: retry elsewhere, answer 503 UF, or record a broken response. */
  failed(ex: Exchange, err: Error): void {
    const { req, res, head } = ex;
    if (ex.finished) return;
    if (ex.responded || res.headersSent) {
      const downstreamGone = res.destroyed && !res.writableFinished && req.socket.destroyed;
      res.destroy();
      return this.#finish(ex, res.statusCode, downstreamGone ? 'DC' : 'UC');
    }
    if (res.destroyed || req.socket.destroyed) return this.#finish(ex, 0, 'DC');
    const { endpoint, portRoute } = ex;
    if (endpoint && portRoute && ex.attempts < 2 && isRetriable(err, req.method ?? 'GET', ex.bodyStarted, head.hasBody)) {
      const other = portRoute.balancer.pickOther(endpoint);
      if (other) return this.#sendTo(ex, other);
    }
    if ((err as { code?: string }).code === 'UND_ERR_INVALID_ARG') return this.#local(ex, 400, 'DPE', 'request not forwardable');
    if (ex.bodyStarted) res.shouldKeepAlive = false;
    this.#local(ex, 503, 'UF', 'upstream connect error or disconnect/reset before headers');
  }

  #local(ex: Exchange, status: number, flags: string, text: string): void {
    const body = `${text}\n`;
    if (!ex.res.headersSent) {
      ex.res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      ex.res.end(body);
      ex.responseBytes = Buffer.byteLength(body);
    }
    this.#finish(ex, status, flags);
  }

  #finish(ex: Exchange, status: number, flags: string): void {
    if (ex.finished) return;
    ex.finished = true;
    const ctx = this.#ctx;
    const duration = performance.now() - ex.start;
    const requestBytes = ex.head.contentLength ?? ex.requestBytes;
    if (ex.labels) ctx.metrics.request(ex.labels, status, flags, duration, requestBytes, ex.responseBytes);
    if (!ctx.accessLog.enabled) return;
    const { req, head } = ex;
    ctx.accessLog.write({
      time: new Date().toISOString(),
      trace_id: traceIdOf(head.traceparent, head.b3),
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
    });
  }
}
