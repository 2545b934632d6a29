import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Cluster, ClusterHost } from '../cluster.ts';
import type { PoolSpec } from '../upstream-pools.ts';

export type Controller = Dispatcher.DispatchController;

/** The undici dispatch handler methods every layer implements and calls. */
export interface Handler {
  onRequestStart(controller: Controller, context: unknown): void;
  onResponseStart(controller: Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void;
  onResponseData(controller: Controller, chunk: Buffer): void;
  onResponseEnd(controller: Controller, trailers: IncomingHttpHeaders): void;
  onResponseError(controller: Controller, error: Error): void;
}

/** A request body that each attempt can send afresh while `replayable`. */
export interface BodySource {
  readonly replayable: boolean;
  stream(): AsyncIterable<Buffer>;
}

/**
 * One upstream request as the dispatch layers see it (the proxy's per-request exchange implements
 * it). Layers read the request and record which endpoint each attempt used.
 */
export interface UpstreamCall {
  readonly method: string;
  /** Request target sent upstream (rewritten). */
  readonly upstreamPath: string;
  /** Flat name/value pairs sent upstream. */
  readonly upstreamHeaders: string[];
  /** The headers of the current attempt: `upstreamHeaders`, plus its own trace headers when traced. */
  readonly attemptHeaders: string[];
  /** The downstream body, replayable within its buffer; null when the request has none. */
  readonly body: BodySource | null;
  /** Speak HTTP/2 cleartext upstream (the downstream did: gRPC). */
  readonly h2: boolean;
  /** Endpoints earlier attempts used (the balancer avoids them). */
  readonly tried: ClusterHost[];
  /** Consistent-hash key of the request, when the cluster hashes. */
  hash: number | undefined;
  /** `address:port` the client addressed, when known (PASSTHROUGH). */
  readonly original: string | undefined;
  /** Attempts made so far. */
  attempts: number;
  /** Retries made so far. */
  retries: number;
  /** Response flags the policies add (URX). */
  flags: string;
  /** The pool of the current attempt (set by `onHost`). */
  pool: PoolSpec | undefined;
  /**
   * An attempt goes to `host` of `cluster`: records it (logs, metric labels), sets `pool` and
   * `attemptHeaders`; returns what to tell when the attempt ends (its trace span), if anything.
   */
  onHost(host: ClusterHost, cluster: Cluster): AttemptObserver | undefined;
}

/** Told how one upstream attempt ended (the balancer layer calls it once per attempt). */
export interface AttemptObserver {
  /** `status`: the response status, 0 when none came; `error`: why the attempt failed, if it did. */
  end(status: number, error: Error | undefined): void;
}

/** One layer of the chain: sends `call`, reporting to `handler`. Never throws. */
export type Dispatch = (call: UpstreamCall, handler: Handler) => void;

/** A controller for errors reported before any real one exists (nothing to abort). */
export const DETACHED: Controller = {
  aborted: false,
  paused: false,
  reason: null,
  abort() {},
  pause() {},
  resume() {},
};

/**
 * The trailers of a response. undici parses HTTP/2 trailers as if they were a flat list and hands
 * over `{}`; the object itself is on `controller.rawTrailers`.
 */
export function trailersOf(controller: Controller, trailers: IncomingHttpHeaders): IncomingHttpHeaders {
  const raw = controller.rawTrailers;
  if (raw && !Array.isArray(raw) && typeof raw === 'object' && Object.keys(trailers).length === 0) return raw as IncomingHttpHeaders;
  return trailers;
}
