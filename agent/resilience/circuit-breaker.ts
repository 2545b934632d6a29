import type { TrafficPolicySnapshot } from '../../wire/types.ts';
import { RETRY_BUDGET_MIN_CONCURRENCY, RETRY_BUDGET_PERCENT } from './retry-budget.ts';

/** Outcome of {@link CircuitBreaker.admit}. */
export type Admission = 'go' | 'queue' | 'overflow';

/**
 * A cluster's connection-pool limits (Istio's connectionPool, Envoy's circuit breakers), counted per
 * cluster (service, subset, port) as Envoy does. Unset limits are unlimited (Istio's 2^32-1).
 * HTTP/1.1 carries one request per connection at a time, so requests in flight are the connections
 * in use:
 * - `tcp.maxConnections`: requests (and TCP connections) in flight; more wait in the pending queue;
 * - `http.http1MaxPendingRequests`: the pending queue's length; beyond it, 503 with flag UO;
 * - `http.http2MaxRequests`: requests in flight and queued together; beyond it, 503 UO;
 * - `http.maxRetries`: retries in flight (see the retry budget), unless a `retryBudget` is set:
 *   Envoy's retry budget then overrides the retry circuit breaker.
 * Pure counters; the dispatch layer does the queueing.
 */
export class CircuitBreaker {
  readonly maxConnections: number;
  readonly maxPending: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  /** The retry budget: retries in flight as a share of active and pending requests, and the floor. */
  readonly retryPercent: number;
  readonly minRetryConcurrency: number;
  /** Requests (or TCP connections) in flight to the cluster. */
  active = 0;
  /** Requests waiting for a connection slot. */
  pending = 0;
  /** Retries in flight. */
  activeRetries = 0;
  /** Requests turned away (UO) since start. */
  overflows = 0;

  constructor(pool: TrafficPolicySnapshot['connectionPool'], budget?: TrafficPolicySnapshot['retryBudget']) {
    this.maxConnections = pool?.tcp?.maxConnections || Infinity;
    this.maxPending = pool?.http?.http1MaxPendingRequests || Infinity;
    this.maxRequests = pool?.http?.http2MaxRequests || Infinity;
    this.maxRetries = budget ? Infinity : pool?.http?.maxRetries || Infinity;
    this.retryPercent = budget?.percent ?? RETRY_BUDGET_PERCENT;
    this.minRetryConcurrency = budget?.minRetryConcurrency ?? RETRY_BUDGET_MIN_CONCURRENCY;
  }

  /** True when no limit is set: the dispatch layer can skip the breaker. */
  get unlimited(): boolean {
    return this.maxConnections === Infinity && this.maxPending === Infinity && this.maxRequests === Infinity;
  }

  /** Whether a new request may go now, must wait, or overflows. */
  admit(): Admission {
    if (this.active + this.pending >= this.maxRequests) return 'overflow';
    if (this.active < this.maxConnections) return 'go';
    return this.pending < this.maxPending ? 'queue' : 'overflow';
  }

  /** Whether a queued request may go now. */
  canStart(): boolean {
    return this.active < this.maxConnections;
  }

  /** Whether any limit is reached now (the breaker is "open" for new work). */
  get open(): boolean {
    return this.active + this.pending >= this.maxRequests || (this.active >= this.maxConnections && this.pending >= this.maxPending);
  }

  /** Same limits (a new snapshot keeps the counters when equal). */
  sameAs(other: CircuitBreaker): boolean {
    return this.maxConnections === other.maxConnections && this.maxPending === other.maxPending && this.maxRequests === other.maxRequests && this.maxRetries === other.maxRetries
      && this.retryPercent === other.retryPercent && this.minRetryConcurrency === other.minRetryConcurrency;
  }
}
