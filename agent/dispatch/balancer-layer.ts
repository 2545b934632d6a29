import type { IncomingHttpHeaders } from 'node:http';
import type { Cluster, ClusterHost } from '../cluster.ts';
import { DETACHED, trailersOf, type Controller, type Dispatch, type Handler } from './dispatch.ts';
import { outlierCodeOf, REPLY } from './local-reply.ts';

/** What the balancer layer reports (metrics). */
export interface BalancerEvents {
  ejected(cluster: Cluster, host: ClusterHost): void;
}

/**
 * Picks the endpoint of an attempt (the cluster's balancer, skipping ejected endpoints and the ones
 * earlier attempts used), counts the attempt in flight for the endpoint (LEAST_REQUEST) and the
 * cluster (limits, retry budget), and feeds its outcome to outlier detection. No endpoint: 503 UH.
 */
export function balancerLayer(cluster: Cluster, next: Dispatch, events: BalancerEvents): Dispatch {
  return (call, handler) => {
    const original = call.original === undefined ? undefined : cluster.byAddress(call.original);
    const host = cluster.pick(call.tried, call.hash, original);
    if (!host) return handler.onResponseError(DETACHED, REPLY.noHealthy);
    call.onHost(host);
    host.active++;
    cluster.state.breaker.active++;
    next(call, new HostAttempt(cluster, host, handler, events));
  };
}

class HostAttempt implements Handler {
  readonly #cluster: Cluster;
  readonly #host: ClusterHost;
  readonly #down: Handler;
  readonly #events: BalancerEvents;
  #done = false;

  constructor(cluster: Cluster, host: ClusterHost, down: Handler, events: BalancerEvents) {
    this.#cluster = cluster;
    this.#host = host;
    this.#down = down;
    this.#events = events;
  }

  #end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#host.active--;
    this.#cluster.state.release();
  }

  #record(code: number): void {
    const d = this.#cluster.state.detector;
    if (d && code > 0 && d.record(this.#host, code, Date.now())) this.#events.ejected(this.#cluster, this.#host);
  }

  onRequestStart(c: Controller, context: unknown): void {
    this.#down.onRequestStart(c, context);
  }

  onResponseStart(c: Controller, status: number, headers: IncomingHttpHeaders, message?: string): void {
    if (status >= 200) this.#record(status);
    this.#down.onResponseStart(c, status, headers, message);
  }

  onResponseData(c: Controller, chunk: Buffer): void {
    this.#down.onResponseData(c, chunk);
  }

  onResponseEnd(c: Controller, trailers: IncomingHttpHeaders): void {
    this.#end();
    this.#down.onResponseEnd(c, trailersOf(c, trailers));
  }

  onResponseError(c: Controller, err: Error): void {
    this.#end();
    this.#record(outlierCodeOf(err));
    this.#down.onResponseError(c, err);
  }
}
