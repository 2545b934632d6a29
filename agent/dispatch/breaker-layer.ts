import type { Cluster, ClusterState, Waiting } from '../cluster.ts';
import { DETACHED, type Controller, type Dispatch, type Handler, type UpstreamCall } from './dispatch.ts';
import { REPLY } from './local-reply.ts';

/** What the breaker reports (metrics). */
export interface BreakerEvents {
  overflow(cluster: Cluster): void;
}

/**
 * The circuit breaker (Istio connectionPool): admits a request, queues it while the cluster is at
 * `maxConnections` (up to `http1MaxPendingRequests`), or answers 503 with flag UO at once. The
 * balancer layer below counts requests in flight and releases queued ones when they end.
 */
export function breakerLayer(cluster: Cluster, next: Dispatch, events: BreakerEvents): Dispatch {
  return (call, handler) => {
    const state = cluster.state;
    const b = state.breaker;
    switch (b.admit()) {
      case 'go':
        return next(call, handler);
      case 'overflow':
        b.overflows++;
        events.overflow(cluster);
        return handler.onResponseError(DETACHED, REPLY.overflow);
      case 'queue': {
        b.pending++;
        const w = new Queued(state, call, handler, next);
        state.queue.push(w);
        handler.onRequestStart(w, {});
      }
    }
  };
}

/** A request in the pending queue; aborting it takes it out. */
class Queued implements Waiting, Controller {
  readonly #state: ClusterState;
  readonly #call: UpstreamCall;
  readonly #handler: Handler;
  readonly #next: Dispatch;
  aborted = false;
  paused = false;
  reason: Error | null = null;

  constructor(state: ClusterState, call: UpstreamCall, handler: Handler, next: Dispatch) {
    this.#state = state;
    this.#call = call;
    this.#handler = handler;
    this.#next = next;
  }

  start(): void {
    this.#next(this.#call, this.#handler);
  }

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const at = this.#state.queue.indexOf(this);
    if (at >= 0) {
      this.#state.queue.splice(at, 1);
      this.#state.breaker.pending--;
    }
    this.#handler.onResponseError(this, reason);
  }

  pause(): void {}
  resume(): void {}
}
