import type { IncomingHttpHeaders } from 'node:http';
import type { Cluster } from '../cluster.ts';
import { retryBackoffMs } from '../resilience/retry-backoff.ts';
import { retryAllowed } from '../resilience/retry-budget.ts';
import type { RetryRule } from '../resilience/retry-rule.ts';
import type { Controller, Dispatch, Handler, UpstreamCall } from './dispatch.ts';
import { failureKind, REPLY } from './local-reply.ts';

/** What the retry layer reports (metrics). */
export interface RetryEvents {
  retry(cluster: Cluster, reason: string): void;
  retryOverflow(cluster: Cluster): void;
}

/**
 * Retries (Istio `retries`, Envoy's router retry state): an attempt that fails in a way `retryOn`
 * names is replaced by another, on another endpoint where there is one, after a jittered exponential
 * back-off (25 ms base, or the route's `retries.backoff`), while retries are left, the request body can be replayed, and the retry
 * budget allows. `perTryTimeout` bounds each attempt until its response headers (Envoy ignores it
 * once the response has started downstream). A retriable outcome with no retry left passes through
 * with flag URX.
 */
export function retryLayer(rule: RetryRule, cluster: Cluster, next: Dispatch, events: RetryEvents): Dispatch {
  return (call, handler) => new RetryingRequest(rule, cluster, next, events, call, handler).start();
}

const NO_CONTEXT = Object.freeze({});

class RetryingRequest implements Controller {
  readonly #rule: RetryRule;
  readonly #cluster: Cluster;
  readonly #next: Dispatch;
  readonly #events: RetryEvents;
  readonly #call: UpstreamCall;
  readonly #down: Handler;
  #live: Attempt | null = null;
  #current: Controller | null = null;
  #timer: NodeJS.Timeout | undefined;
  #committed = false;
  #countedRetry = false;
  #finished = false;
  aborted = false;
  paused = false;
  reason: Error | null = null;

  constructor(rule: RetryRule, cluster: Cluster, next: Dispatch, events: RetryEvents, call: UpstreamCall, down: Handler) {
    this.#rule = rule;
    this.#cluster = cluster;
    this.#next = next;
    this.#events = events;
    this.#call = call;
    this.#down = down;
  }

  start(): void {
    this.#down.onRequestStart(this, NO_CONTEXT);
    this.#attempt();
  }

  #attempt(): void {
    this.#timer = undefined;
    if (this.aborted) return;
    const a = new Attempt(this);
    this.#live = a;
    this.#current = null;
    const ms = this.#rule.perTryTimeoutMs;
    if (ms > 0) this.#timer = setTimeout(() => this.#perTryTimeout(a), ms);
    this.#next(this.#call, a);
  }

  #perTryTimeout(a: Attempt): void {
    if (a !== this.#live || this.#committed) return;
    const c = this.#current;
    this.failed(a, REPLY.perTryTimeout);
    c?.abort(REPLY.perTryTimeout);
  }

  /** Whether one more retry may start now; marks URX when the policy ran out. */
  #mayRetry(): boolean {
    if (this.aborted) return false;
    const call = this.#call;
    if (call.retries >= this.#rule.attempts) {
      if (this.#rule.attempts > 0) call.flags = 'URX';
      return false;
    }
    if (call.body && !call.body.replayable) return false;
    const b = this.#cluster.state.breaker;
    if (!retryAllowed(b.activeRetries - (this.#countedRetry ? 1 : 0), b.active + b.pending, b.maxRetries, b.retryPercent, b.minRetryConcurrency)) {
      this.#events.retryOverflow(this.#cluster);
      return false;
    }
    return true;
  }

  #retry(reason: string): void {
    this.#live = null;
    this.#current = null;
    clearTimeout(this.#timer);
    const call = this.#call;
    call.retries++;
    if (!this.#countedRetry) {
      this.#countedRetry = true;
      this.#cluster.state.breaker.activeRetries++;
    }
    this.#events.retry(this.#cluster, reason);
    const rule = this.#rule;
    this.#timer = setTimeout(() => this.#attempt(), retryBackoffMs(call.retries, Math.random, rule.backoffBaseMs, rule.backoffMaxMs));
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#live = null;
    if (this.#countedRetry) this.#cluster.state.breaker.activeRetries--;
  }

  // ---- events of the live attempt ----

  started(a: Attempt, c: Controller, context: unknown): void {
    if (a !== this.#live) return c.abort(REPLY.retrying);
    this.#current = c;
    if (this.paused) c.pause();
    void context;
  }

  responseStart(a: Attempt, c: Controller, status: number, headers: IncomingHttpHeaders, message?: string): void {
    if (a !== this.#live) return;
    if (!this.#committed && status >= 200) {
      const g = headers['grpc-status'];
      const grpc = typeof g === 'string' ? Number(g) : undefined;
      if (this.#rule.retriableStatus(status, grpc) && this.#mayRetry()) {
        this.#retry(String(status));
        c.abort(REPLY.retrying);
        return;
      }
      this.#committed = true;
      clearTimeout(this.#timer);
    }
    this.#down.onResponseStart(this, status, headers, message);
  }

  data(a: Attempt, chunk: Buffer): void {
    if (a === this.#live) this.#down.onResponseData(this, chunk);
  }

  end(a: Attempt, trailers: IncomingHttpHeaders): void {
    if (a !== this.#live) return;
    this.#finish();
    this.#down.onResponseEnd(this, trailers);
  }

  failed(a: Attempt, err: Error): void {
    if (a !== this.#live) return;
    clearTimeout(this.#timer);
    if (!this.#committed && !this.aborted) {
      const kind = failureKind(err);
      const call = this.#call;
      if (kind && this.#rule.retriableFailure(kind, call.method, call.body !== null) && this.#mayRetry()) return this.#retry(kind);
    }
    this.#finish();
    this.#down.onResponseError(this, this.aborted ? this.reason! : err);
  }

  // ---- Controller, for the layers above ----

  abort(reason: Error): void {
    if (this.aborted || this.#finished) return;
    this.aborted = true;
    this.reason = reason;
    const c = this.#current;
    this.#finish();
    c?.abort(reason);
    this.#down.onResponseError(this, reason);
  }

  pause(): void {
    this.paused = true;
    this.#current?.pause();
  }

  resume(): void {
    this.paused = false;
    this.#current?.resume();
  }
}

/** One try of a {@link RetryingRequest}; events of a replaced try are dropped. */
class Attempt implements Handler {
  readonly #parent: RetryingRequest;

  constructor(parent: RetryingRequest) {
    this.#parent = parent;
  }

  onRequestStart(c: Controller, context: unknown): void {
    this.#parent.started(this, c, context);
  }

  onResponseStart(c: Controller, status: number, headers: IncomingHttpHeaders, message?: string): void {
    this.#parent.responseStart(this, c, status, headers, message);
  }

  onResponseData(_c: Controller, chunk: Buffer): void {
    this.#parent.data(this, chunk);
  }

  onResponseEnd(_c: Controller, trailers: IncomingHttpHeaders): void {
    this.#parent.end(this, trailers);
  }

  onResponseError(_c: Controller, err: Error): void {
    this.#parent.failed(this, err);
  }
}
