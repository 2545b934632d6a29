import type { FaultSnapshot } from '../../wire/types.ts';

/** gRPC status names (Istio's `grpcStatus` takes the name). */
export const GRPC_STATUS: Record<string, number> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5,
  ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10,
  OUT_OF_RANGE: 11, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

/** What to do to one request. */
export interface FaultDecision {
  /** Milliseconds to hold the request first; 0: none. */
  delayMs: number;
  /** Abort with this HTTP status (or gRPC status, below); 0: forward. */
  abortStatus: number;
  /** gRPC status to abort with (HTTP 200, trailers-only); -1: none. */
  abortGrpc: number;
}

const NONE: FaultDecision = { delayMs: 0, abortStatus: 0, abortGrpc: -1 };

/**
 * Istio's HTTPFaultInjection for one route: `delay` and `abort`, each applied independently to its
 * `percentage` of requests (Envoy's fault filter: delay first, then abort). `random` is injectable
 * for tests (pure otherwise).
 */
export class FaultInjection {
  readonly #delayMs: number;
  readonly #delayPercent: number;
  readonly #abortStatus: number;
  readonly #abortGrpc: number;
  readonly #abortPercent: number;
  readonly #random: () => number;

  constructor(f: FaultSnapshot, random: () => number = Math.random) {
    this.#delayMs = f.delay?.fixedDelayMs ?? 0;
    this.#delayPercent = f.delay ? f.delay.percent : 0;
    const grpc = f.abort?.grpcStatus;
    this.#abortGrpc = grpc === undefined ? -1 : (GRPC_STATUS[grpc.toUpperCase()] ?? (/^\d+$/.test(grpc) ? Number(grpc) : 2));
    this.#abortStatus = f.abort?.httpStatus ?? (this.#abortGrpc >= 0 ? 200 : 0);
    this.#abortPercent = f.abort ? f.abort.percent : 0;
    this.#random = random;
  }

  /** Draws the fault of one request. */
  decide(): FaultDecision {
    const delay = this.#delayMs > 0 && this.#hit(this.#delayPercent);
    const abort = this.#abortStatus > 0 && this.#hit(this.#abortPercent);
    if (!delay && !abort) return NONE;
    return { delayMs: delay ? this.#delayMs : 0, abortStatus: abort ? this.#abortStatus : 0, abortGrpc: abort && this.#abortGrpc >= 0 ? this.#abortGrpc : -1 };
  }

  #hit(percent: number): boolean {
    return percent >= 100 || (percent > 0 && this.#random() * 100 < percent);
  }
}
