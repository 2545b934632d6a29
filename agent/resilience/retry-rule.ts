import type { RetryPolicySnapshot } from '../../wire/types.ts';
import { BACKOFF_BASE_MS, BACKOFF_MAX_FACTOR } from './retry-backoff.ts';

/** How an attempt failed without a usable response. */
export type FailureKind =
  /** The connection could not be made: no request byte reached the upstream. */
  | 'connect'
  /** HTTP/2 REFUSED_STREAM: the upstream did not process the request. */
  | 'refused'
  /** The connection was reset or closed before response headers. */
  | 'reset'
  /** The per-try timeout fired before response headers. */
  | 'timeout';

/** gRPC status codes retryOn can name (Envoy's x-envoy-retry-grpc-on). */
const GRPC_CONDITIONS: Record<string, number> = {
  cancelled: 1,
  'deadline-exceeded': 4,
  'resource-exhausted': 8,
  internal: 13,
  unavailable: 14,
};

/** Methods RFC 9110 §9.2.2 calls idempotent. */
export const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * A route's retry policy with its `retryOn` conditions compiled to flags (Envoy's semantics,
 * router filter `x-envoy-retry-on` / `x-envoy-retry-grpc-on`):
 * - `5xx`: any 5xx response, and connect failures, resets and per-try timeouts;
 * - `gateway-error`: 502, 503, 504, and connect failures, resets and per-try timeouts;
 * - `reset`: resets, connect failures and per-try timeouts (no response at all);
 * - `connect-failure`; `refused-stream`; `reset-before-request` (connect failures and refused streams:
 *   the request never reached the upstream);
 * - `retriable-4xx`: 409; `retriable-status-codes` with bare status codes (`503`);
 * - `cancelled`, `deadline-exceeded`, `internal`, `resource-exhausted`, `unavailable`: the gRPC
 *   status of a trailers-only response.
 * Conditions apply to every method, as in Envoy (naming a condition is the user's consent to
 * retrying it). On top, a connection reset before any response byte is retried for idempotent
 * bodiless requests whatever `retryOn` says (a keep-alive connection the upstream closed while the
 * request was on its way), within `attempts`.
 */
export class RetryRule {
  /** Retries after the first try. */
  readonly attempts: number;
  /** 0: the route timeout bounds each try. */
  readonly perTryTimeoutMs: number;
  /** Back-off before a retry: fully jittered, from this base (`retries.backoff`, else 25 ms) doubling up to ten times it (Envoy). */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Retries avoid the endpoints earlier tries used, where another is left (Istio's default); false: the balancer picks freely. */
  readonly ignorePreviousHosts: boolean;
  readonly #on5xx: boolean;
  readonly #gateway: boolean;
  readonly #reset: boolean;
  readonly #connect: boolean;
  readonly #refused: boolean;
  readonly #beforeRequest: boolean;
  readonly #retriable4xx: boolean;
  readonly #codes: ReadonlySet<number>;
  readonly #grpc: ReadonlySet<number>;

  constructor(p: RetryPolicySnapshot | undefined) {
    const on = new Set((p?.retryOn ?? []).map((s) => s.trim().toLowerCase()));
    this.attempts = Math.max(0, p?.attempts ?? 0);
    this.perTryTimeoutMs = p?.perTryTimeoutMs ?? 0;
    this.backoffBaseMs = p?.backoffMs !== undefined && p.backoffMs > 0 ? p.backoffMs : BACKOFF_BASE_MS;
    this.backoffMaxMs = this.backoffBaseMs * BACKOFF_MAX_FACTOR;
    this.ignorePreviousHosts = p?.retryIgnorePreviousHosts !== false;
    this.#on5xx = on.has('5xx');
    this.#gateway = on.has('gateway-error');
    this.#reset = on.has('reset');
    this.#connect = on.has('connect-failure');
    this.#refused = on.has('refused-stream');
    this.#beforeRequest = on.has('reset-before-request');
    this.#retriable4xx = on.has('retriable-4xx');
    const codes = new Set<number>();
    if (on.has('retriable-status-codes')) for (const s of on) if (/^\d{3}$/.test(s)) codes.add(Number(s));
    this.#codes = codes;
    const grpc = new Set<number>();
    for (const s of on) if (GRPC_CONDITIONS[s] !== undefined) grpc.add(GRPC_CONDITIONS[s]!);
    this.#grpc = grpc;
  }

  /** No retry at all. */
  static readonly NONE = new RetryRule(undefined);

  /** Whether a response with `status` (and gRPC status from its headers, if any) is retried (pure). */
  retriableStatus(status: number, grpcStatus: number | undefined): boolean {
    if (status >= 500) {
      if (this.#on5xx) return true;
      if (this.#gateway && status >= 502 && status <= 504) return true;
    }
    if (this.#retriable4xx && status === 409) return true;
    if (this.#codes.has(status)) return true;
    return grpcStatus !== undefined && this.#grpc.has(grpcStatus);
  }

  /** Whether a failure without response is retried (pure). */
  retriableFailure(kind: FailureKind, method: string, hasBody: boolean): boolean {
    const noResponse = this.#on5xx || this.#gateway || this.#reset;
    switch (kind) {
      case 'connect': return noResponse || this.#connect || this.#beforeRequest;
      case 'refused': return noResponse || this.#refused || this.#beforeRequest;
      case 'timeout': return noResponse;
      case 'reset': return noResponse || (!hasBody && IDEMPOTENT_METHODS.has(method));
    }
  }
}
