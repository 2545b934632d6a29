import type { FailureKind } from '../resilience/retry-rule.ts';

/** Envoy's response flags for what the agent answers itself. */
export type ResponseFlag = 'NR' | 'NC' | 'UH' | 'UF' | 'UO' | 'URX' | 'UT' | 'FI' | 'DI' | 'RL' | 'UC' | 'DC' | 'DPE';

/**
 * A request the agent ends itself (not an upstream failure): carries the status to answer, the
 * response flag, and the body text. Also the abort reason the policies pass down the dispatch chain
 * (route timeout, per-try timeout, overflow, no healthy upstream, downstream gone).
 */
export class LocalReply extends Error {
  readonly status: number;
  readonly flag: ResponseFlag;
  /** The code outlier detection records for the endpoint (Envoy's local-origin mapping); 0: none. */
  readonly outlierCode: number;

  constructor(status: number, flag: ResponseFlag, text: string, outlierCode = 0) {
    super(text);
    this.status = status;
    this.flag = flag;
    this.outlierCode = outlierCode;
  }
}

/** Shared reasons (no per-request allocation for the common ones). */
export const REPLY = {
  overflow: new LocalReply(503, 'UO', 'upstream connect error or disconnect/reset before headers. reset reason: overflow'),
  noHealthy: new LocalReply(503, 'UH', 'no healthy upstream'),
  routeTimeout: new LocalReply(504, 'UT', 'upstream request timeout', 504),
  perTryTimeout: new LocalReply(504, 'UT', 'upstream request timeout', 504),
  downstreamGone: new LocalReply(0, 'DC', 'downstream closed'),
  retrying: new LocalReply(0, 'URX', 'attempt replaced by a retry'),
} as const;

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const RESET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_SESSION_ERROR', 'ERR_HTTP2_STREAM_CANCEL']);

/** How an upstream attempt failed, from the error undici reports (pure); null: not an upstream failure. */
export function failureKind(err: unknown): FailureKind | null {
  if (err === REPLY.perTryTimeout) return 'timeout';
  const code = (err as { code?: string } | null)?.code;
  if (code === undefined) return null;
  if (CONNECT_ERRORS.has(code)) return 'connect';
  if (RESET_ERRORS.has(code)) {
    return /REFUSED_STREAM/.test((err as Error).message ?? '') ? 'refused' : 'reset';
  }
  return null;
}

/** The code outlier detection records for a failed attempt (pure): 503 for connect and reset, 504 timeouts. */
export function outlierCodeOf(err: unknown): number {
  if (err instanceof LocalReply) return err.outlierCode;
  const kind = failureKind(err);
  if (kind === null) return 0;
  return kind === 'timeout' ? 504 : 503;
}
