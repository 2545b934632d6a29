import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { performance } from 'node:perf_hooks';
import type { Cluster, ClusterHost } from './cluster.ts';
import { trailersOf, type AttemptObserver, type BodySource, type Controller, type Handler, type UpstreamCall } from './dispatch/dispatch.ts';
import { REPLY } from './dispatch/local-reply.ts';
import { forwardResponseHeaders, type ForwardHead } from './forward-headers.ts';
import { UNKNOWN, type LabelBase } from './istio-labels.ts';
import type { ListenerBinding } from './proxy-context.ts';
import type { RouteTable } from './route-table.ts';
import type { HttpRoute, RouteTarget } from './routing/http-route.ts';
import type { PoolSpec } from './upstream-pools.ts';
import { httpDateNow } from './utc-time.ts';
import type { VerifiedPeer } from './mtls/verified-peer.ts';
import type { RequestTrace } from './tracing/request-trace.ts';
import type { Tracer } from './tracing/tracer.ts';

const NO_HOSTS: ClusterHost[] = [];

/** Where an {@link Exchange} reports its end. */
export interface ExchangeOwner {
  /** The response ended normally, or the client went away mid-response. */
  done(ex: Exchange, status: number, flags: string): void;
  /** The request failed (no more retries): the owner answers locally or records the broken response. */
  failed(ex: Exchange, err: Error): void;
}

/** The downstream response: HTTP/1.1 or the HTTP/2 compatibility API. */
export type DownstreamResponse = ServerResponse | Http2ServerResponse;

/**
 * One proxied HTTP request: its per-request state (for the policies, metrics and the access log)
 * and the end of the dispatch chain, which relays the upstream response into the downstream one
 * with backpressure (and response header operations), and aborts the request when the client goes
 * away.
 */
export class Exchange implements Handler, UpstreamCall {
  readonly req: IncomingMessage;
  readonly res: DownstreamResponse;
  readonly binding: ListenerBinding;
  readonly head: ForwardHead;
  readonly table: RouteTable | null;
  readonly start = performance.now();
  readonly #owner: ExchangeOwner;
  readonly method: string;
  readonly h2: boolean;
  upstreamPath = '/';
  upstreamHeaders: string[];
  body: BodySource | null = null;
  tried: ClusterHost[] = NO_HOSTS;
  hash: number | undefined;
  original: string | undefined;
  pool: PoolSpec | undefined;
  labels: LabelBase | undefined;
  route: HttpRoute | undefined;
  target: RouteTarget | undefined;
  setCookie: string | undefined;
  attempts = 0;
  retries = 0;
  flags = '';
  upstream: string | null = null;
  /** The downstream peer's address. */
  peer = '';
  destination = UNKNOWN;
  source = UNKNOWN;
  responseBytes = 0;
  responded = false;
  finished = false;
  /** Inbound over mTLS: the verified peer agent. */
  verifiedPeer: VerifiedPeer | undefined;
  /** An AUDIT AuthorizationPolicy matched. */
  audit = false;
  /** Tracing on: the request's trace, and the tracer that made it. */
  trace: RequestTrace | undefined;
  tracer: Tracer | undefined;
  #attemptHeaders: string[] | undefined;
  #controller: Controller | null = null;
  /** HTTP/1.1 downstream, a response with a Content-Length: the byte count that makes its body whole. */
  #lastByte = -1;
  /** The downstream response was ended with the body's last chunk. */
  #ended = false;

  constructor(owner: ExchangeOwner, req: IncomingMessage, res: DownstreamResponse, binding: ListenerBinding, head: ForwardHead, table: RouteTable | null, h2: boolean) {
    this.#owner = owner;
    this.req = req;
    this.res = res;
    this.binding = binding;
    this.head = head;
    this.table = table;
    this.h2 = h2;
    this.method = req.method ?? 'GET';
    this.upstreamHeaders = head.headers;
    res.once('close', () => {
      if (!this.finished && !this.#ended) this.#controller?.abort(REPLY.downstreamGone);
    });
  }

  /** Request body bytes read from the downstream. */
  get requestBytes(): number {
    return (this.body as { bytes?: number } | null)?.bytes ?? 0;
  }

  /** Whether any request body byte went upstream. */
  get bodyStarted(): boolean {
    return (this.body as { started?: boolean } | null)?.started ?? false;
  }

  /** The downstream is gone (closed before the response ended). */
  get downstreamGone(): boolean {
    return this.res.destroyed || this.req.socket?.destroyed === true;
  }

  /** {@link UpstreamCall.attemptHeaders}. */
  get attemptHeaders(): string[] {
    return this.#attemptHeaders ?? this.upstreamHeaders;
  }

  onHost(host: ClusterHost, cluster: Cluster): AttemptObserver | undefined {
    this.attempts++;
    if (this.tried === NO_HOSTS) this.tried = [host];
    else this.tried.push(host);
    this.upstream = host.endpoint.target;
    this.labels = host.endpoint.http;
    this.pool = this.h2 ? host.h2pool : host.pool;
    const t = this.trace;
    if (!t?.record || !this.tracer) return undefined;
    // Each attempt is its own CLIENT span, and the next hop's parent.
    const a = this.tracer.attempt(t, this, cluster, host, this.attempts, this.upstreamHeaders);
    this.#attemptHeaders = a.headers;
    return a.span;
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.res.destroyed) controller.abort(REPLY.downstreamGone);
  }

  onResponseStart(_c: Controller, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    this.responded = true;
    let h = forwardResponseHeaders(headers as Record<string, string | string[] | undefined>);
    // Node's own Date header would format it with V8's Date (utc-time.ts says why not).
    if (headers.date === undefined) h.push('date', httpDateNow());
    if (this.target?.responseHeaders) h = this.target.responseHeaders.applyFlat(h);
    if (this.route?.responseHeaders) h = this.route.responseHeaders.applyFlat(h);
    if (this.setCookie) h.push('set-cookie', this.setCookie);
    (this.res as ServerResponse).writeHead(statusCode, h);
    const length = headers['content-length'];
    if (!this.h2 && typeof length === 'string') this.#lastByte = Number(length);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.responseBytes += chunk.length;
    const res = this.res;
    if (res.destroyed) return controller.abort(REPLY.downstreamGone);
    // The body's last bytes end the response: Node then writes them (with the head, when they are
    // the only chunk) at once, where write() would cork the socket until the next tick and end()
    // would follow. Measured at saturation: about 3% of the agent's CPU.
    if (this.responseBytes === this.#lastByte) {
      this.#ended = true;
      res.end(chunk);
      return;
    }
    if (!(res as ServerResponse).write(chunk)) {
      controller.pause();
      res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(c: Controller, trailers: IncomingHttpHeaders): void {
    const t = trailersOf(c, trailers);
    if (this.h2 && t && Object.keys(t).length > 0) (this.res as Http2ServerResponse).addTrailers(t as Record<string, string>);
    if (!this.#ended) this.res.end();
    this.#owner.done(this, this.res.statusCode, this.flags || '-');
  }

  onResponseError(_c: Controller, err: Error): void {
    this.#owner.failed(this, err);
  }
}
