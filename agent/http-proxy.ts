import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { traceIdOf } from './access-log.ts';
import { forwardHeaders, stripResponseHeaders, type ForwardHead } from './forward-headers.ts';
import { UNKNOWN, type LabelBase } from './istio-labels.ts';
import { listenerService, type ListenerBinding, type ProxyContext } from './proxy-context.ts';
import { pickHttpUpstream, type EndpointRoute, type PortRoute, type RouteTable } from './route-table.ts';

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

/** One request in flight: what the access log and metrics need at the end. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  binding: ListenerBinding;
  head: ForwardHead;
  table: RouteTable | null;
  labels: LabelBase;
  start: number;
  attempts: number;
  upstream: string | null;
  destination: string;
  source: string;
  bodyStarted: boolean;
  responseBytes: number;
}

function bodyOf(ex: Exchange): AsyncIterable<Buffer> {
  return (async function* () {
    ex.bodyStarted = true;
    // destroyOnReturn false: undici abandoning the body must not kill the downstream socket.
    for await (const chunk of ex.req.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
  })();
}

/**
 * The HTTP/1.1 data path for both directions: picks the upstream, rewrites headers, streams the
 * request and response through an undici pool, retries once on another endpoint when the connect
 * fails, and records metrics and the access log.
 */
export class HttpProxy {
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
    const ex: Exchange = {
      req, res, binding, head, table, labels: undefined as unknown as LabelBase,
      start: performance.now(), attempts: 0, upstream: null, destination: UNKNOWN, source: UNKNOWN, bodyStarted: false, responseBytes: 0,
    };
    if (binding.direction === 'inbound') {
      ctx.counters.inbound.requests++;
      ex.labels = ctx.inboundLabels.get(table, head.source, 'http');
      ex.source = head.source.service ?? UNKNOWN;
      ex.destination = table?.self.app ?? UNKNOWN;
      this.#send(ex, `${ctx.appHost}:${binding.port}`, undefined, undefined);
      return;
    }
    ctx.counters.outbound.requests++;
    if (!table) return this.#local(ex, 503, 'NR', 'no configuration yet', undefined);
    ex.source = table.self.app;
    head.headers.push(...table.sourceHeaders);
    const choice = pickHttpUpstream(table, head.host, listenerService(table, binding), binding.port);
    if (choice.kind === 'no-service') return this.#local(ex, 404, 'NR', 'no route to this host', table.noRoute);
    ex.destination = choice.service.name;
    if (choice.kind === 'no-endpoint') return this.#local(ex, 503, 'UH', 'no healthy upstream', choice.service.noEndpoint);
    ex.labels = choice.endpoint.http;
    this.#send(ex, choice.endpoint.target, choice.endpoint, choice.portRoute);
  }

  #send(ex: Exchange, target: string, endpoint: EndpointRoute | undefined, portRoute: PortRoute | undefined): void {
    ex.attempts++;
    ex.upstream = target;
    const { req, res, head } = ex;
    let path = req.url ?? '/';
    if (!path.startsWith('/')) {
      try {
        const u = new URL(path);
        path = u.pathname + u.search;
      } catch {
        return this.#local(ex, 400, 'DPE', 'bad request target', ex.labels);
      }
    }
    let responded = false;
    const pool = this.#ctx.pools.get(target);
    pool.stream(
      {
        path,
        method: req.method ?? 'GET',
        headers: head.headers,
        // undici accepts async iterables at run time; its types only list Readable.
        body: head.hasBody ? (bodyOf(ex) as unknown as Readable) : null,
      },
      ({ statusCode, headers }) => {
        responded = true;
        const length = Number(headers['content-length']);
        ex.responseBytes = Number.isFinite(length) ? length : 0;
        stripResponseHeaders(headers);
        res.writeHead(statusCode, headers as Record<string, string | string[]>);
        return res;
      },
      (err) => {
        if (!err) return this.#finish(ex, res.statusCode, '-');
        if (responded || res.headersSent) {
          res.destroy();
          return this.#finish(ex, res.statusCode, req.socket.destroyed && !res.writableFinished ? 'DC' : 'UC');
        }
        if (req.destroyed || res.destroyed) return this.#finish(ex, 0, 'DC');
        if (endpoint && portRoute && ex.attempts < 2 && isRetriable(err, req.method ?? 'GET', ex.bodyStarted, head.hasBody)) {
          const other = portRoute.balancer.pickOther(endpoint);
          if (other) {
            ex.labels = other.http;
            return this.#send(ex, other.target, other, portRoute);
          }
        }
        if (ex.bodyStarted) res.shouldKeepAlive = false;
        this.#local(ex, 503, 'UF', 'upstream connect error or disconnect/reset before headers', ex.labels);
      },
    );
  }

  #local(ex: Exchange, status: number, flags: string, text: string, labels: LabelBase | undefined): void {
    const body = `${text}\n`;
    if (!ex.res.headersSent) {
      ex.res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      ex.res.end(body);
      ex.responseBytes = Buffer.byteLength(body);
    }
    if (labels) ex.labels = labels;
    this.#finish(ex, status, flags);
  }

  #finish(ex: Exchange, status: number, flags: string): void {
    const ctx = this.#ctx;
    const duration = performance.now() - ex.start;
    if (ex.labels) ctx.metrics.request(ex.labels, status, flags, duration, ex.head.contentLength ?? 0, ex.responseBytes);
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
