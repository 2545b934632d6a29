import type { IncomingHttpHeaders } from 'node:http';
import type { Cluster, ClusterHost } from '../cluster.ts';
import { DETACHED, trailersOf, type AttemptObserver, type Controller, type Dispatch, type Handler } from './dispatch.ts';
import { outlierCodeOf, REPLY } from './local-reply.ts';

/** What the balancer layer reports (metrics). */
export interface BalancerEvents {
  ejected(cluster: Cluster, host: ClusterHost): void;
}

/**
 * Picks the endpoint of an attempt (the cluster's balancer, skipping ejected endpoints and the ones
 * earlier attempts used, unless the route's retries may reuse them), counts the attempt in flight
 * for the endpoint (LEAST_REQUEST) and the cluster (limits, retry budget), feeds its outcome to
 * outlier detection, and tells the attempt's observer (its trace span) how it ended. No endpoint:
 * 503 UH.
 */
export function balancerLayer(cluster: Cluster, next: Dispatch, events: BalancerEvents, avoidTried = true): Dispatch {
  return (call, handler) => {
    const original = call.original === undefined ? undefined : cluster.byAddress(call.original);
    const host = cluster.pick(avoidTried ? call.tried : NOT_TRIED, call.hash, original);
    if (!host) return handler.onResponseError(DETACHED, REPLY.noHealthy);
    const observer = call.onHost(host, cluster);
    host.active++;
    cluster.state.breaker.active++;
    next(call, new HostAttempt(cluster, host, handler, events, observer));
  };
}

/** What a retry that may reuse an endpoint tells the cluster: nothing tried yet. */
const NOT_TRIED: readonly ClusterHost[] = Object.freeze([]);

class HostAttempt implements Handler {
  readonly #cluster: Cluster;
  readonly #host: ClusterHost;
  readonly #down: Handler;
  readonly #events: BalancerEvents;
  readonly #observer: AttemptObserver | undefined;
  #status = 0;
  #done = false;

  constructor(cluster: Cluster, host: ClusterHost, down: Handler, events: BalancerEvents, observer: AttemptObserver | undefined) {
    this.#cluster = cluster;
    this.#host = host;
    this.#down = down;
    this.#events = events;
    this.#observer = observer;
  }

  #end(err?: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#host.active--;
    this.#cluster.state.release();
    this.#observer?.end(this.#status, err);
  }

  /** An outcome for outlier detection: a response's status, or (`localOrigin`) the code a failure without one maps to. */
  #record(code: number, localOrigin = false): void {
    const d = this.#cluster.state.detector;
    if (d && code > 0 && d.record(this.#host, localOrigin ? code : d.responseCode(code), Date.now(), localOrigin)) this.#events.ejected(this.#cluster, this.#host);
  }

  onRequestStart(c: Controller, context: unknown): void {
    this.#down.onRequestStart(c, context);
  }

  onResponseStart(c: Controller, status: number, headers: IncomingHttpHeaders, message?: string): void {
    if (status >= 200) {
      this.#status = status;
      this.#record(status);
    }
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
    this.#end(err);
    this.#record(outlierCodeOf(err), true);
    this.#down.onResponseError(c, err);
  }
}
