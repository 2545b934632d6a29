import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { stripResponseHeaders, type ForwardHead } from './forward-headers.ts';
import { UNKNOWN, type LabelBase } from './istio-labels.ts';
import type { ListenerBinding } from './proxy-context.ts';
import type { EndpointRoute, PortRoute, RouteTable } from './route-table.ts';

/** Where an {@link Exchange} reports its end. */
export interface ExchangeOwner {
  /** The response ended normally (`flags` '-') or the client went away mid-response. */
  done(ex: Exchange, status: number, flags: string): void;
  /** The upstream attempt failed; the owner may retry, answer locally, or give up. */
  failed(ex: Exchange, err: Error): void;
}

type Controller = Dispatcher.DispatchController;

/**
 * One proxied HTTP request: its per-request state (for metrics and the access log) and the undici
 * dispatch handler that relays the upstream response into the downstream one, with backpressure, and
 * aborts the upstream request when the client goes away.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly binding: ListenerBinding;
  readonly head: ForwardHead;
  readonly table: RouteTable | null;
  readonly start = performance.now();
  readonly #owner: ExchangeOwner;
  labels: LabelBase | undefined;
  attempts = 0;
  upstream: string | null = null;
  destination = UNKNOWN;
  source = UNKNOWN;
  endpoint: EndpointRoute | undefined;
  portRoute: PortRoute | undefined;
  bodyStarted = false;
  requestBytes = 0;
  responseBytes = 0;
  responded = false;
  finished = false;
  #controller: Controller | null = null;

  constructor(owner: ExchangeOwner, req: IncomingMessage, res: ServerResponse, binding: ListenerBinding, head: ForwardHead, table: RouteTable | null) {
    this.#owner = owner;
    this.req = req;
    this.res = res;
    this.binding = binding;
    this.head = head;
    this.table = table;
    res.once('close', () => {
      if (!this.finished) this.#controller?.abort(new Error('downstream closed'));
    });
  }

  /** The request body for undici, counting bytes; undici abandoning it must not kill the socket. */
  body(): AsyncIterable<Buffer> {
    const self = this;
    return (async function* () {
      self.bodyStarted = true;
      for await (const chunk of self.req.iterator({ destroyOnReturn: false })) {
        self.requestBytes += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    })();
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    if (this.res.destroyed) controller.abort(new Error('downstream closed'));
  }

  onResponseStart(_c: Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.responded = true;
    stripResponseHeaders(headers);
    this.res.writeHead(statusCode, headers as Record<string, string | string[]>);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.responseBytes += chunk.length;
    if (this.res.destroyed) return controller.abort(new Error('downstream closed'));
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.#owner.done(this, this.res.statusCode, '-');
  }

  onResponseError(_c: Controller, err: Error): void {
    this.#owner.failed(this, err);
  }
}
