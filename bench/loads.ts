/**
 * The four loads every target gets. Pure data.
 */

export type LoadKind = 'wrk' | 'fixed-rate';

export interface LoadSpec {
  id: string;
  title: string;
  /** One line on what it shows, for RESULTS.md. */
  what: string;
  kind: LoadKind;
  /** Concurrent connections (wrk -c) or, for fixed-rate, the warm pool size. */
  connections: number;
  /** Fixed-rate only: requests per second. */
  rate?: number;
  /** Send `Connection: close`: a new TCP connection per request. */
  closeEach: boolean;
  /** Seconds per run, full mode. */
  durationS: number;
  /**
   * Where the load generator runs when processes are pinned: on the load generator's cores (the
   * default), or on the proxy's core, so that a request crosses cores as often through a proxy as
   * it does direct (see docs/benchmarks.md, Pinning).
   */
  generator?: 'load-cores' | 'proxy-core';
}

export const LOADS: readonly LoadSpec[] = [
  {
    id: 'saturation',
    title: 'Saturation, 50 connections',
    what: 'wrk -c50, as fast as the target answers: throughput and CPU per request at full load',
    kind: 'wrk',
    connections: 50,
    closeEach: false,
    durationS: 5,
  },
  {
    id: 'rate-1k',
    title: 'Fixed rate, 1,000 req/s',
    what: 'open-loop 1,000 req/s on keep-alive connections: latency at a realistic load, from the intended send time',
    kind: 'fixed-rate',
    connections: 8,
    rate: 1000,
    closeEach: false,
    durationS: 5,
  },
  {
    id: 'single',
    title: '1 connection',
    what: "wrk -c1 on the proxy's core, one request at a time: pure per-hop latency",
    kind: 'wrk',
    connections: 1,
    closeEach: false,
    durationS: 3,
    generator: 'proxy-core',
  },
  {
    id: 'new-conn',
    title: 'New connection per request',
    what: "wrk -c8 -H 'Connection: close': TCP handshake and connection setup cost on every request",
    kind: 'wrk',
    connections: 8,
    closeEach: true,
    durationS: 3,
  },
];

/** Duration of a run of `load` under the chosen mode. */
export function loadDuration(load: LoadSpec, quick: boolean, overrideS: number | undefined): number {
  if (overrideS !== undefined) return overrideS;
  return quick ? 1 : load.durationS;
}
