/**
 * An open-loop, fixed-rate HTTP/1.1 load generator (wrk cannot hold a rate).
 *
 * Request i is due at `start + i / rate`, whatever happened to earlier requests: the schedule never
 * waits for responses (open loop). A worker thread keeps the clock: it sleeps with `Atomics.wait`,
 * which takes fractional milliseconds, and wakes the main thread at each due time, so sends are not
 * rounded to the event loop's 1 ms timer granularity. Latency is measured from the *intended* send
 * time, so a stall of the target (or of this generator) shows up in every request it delayed instead
 * of being hidden (coordinated omission). How late the sends really were is reported too (`sendLagUs`)
 * so the generator's own error is visible.
 *
 * Each request takes an idle keep-alive connection; when none is idle a new one is opened (its
 * connect time counts in the latency), up to `maxConnections`; past that, due requests queue and
 * their wait counts too. Bounded: exactly round(rate * duration) requests, and a hard deadline of
 * duration + grace after which whatever is unfinished counts as timed out.
 */
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { summarize, type LatencySummary } from '../stats/percentiles.ts';
import { Http1ResponseParser } from './http1-response-parser.ts';

export interface FixedRateOptions {
  port: number;
  /** Host header. */
  host: string;
  /** Further request headers (`Name: value`). */
  headers?: readonly string[];
  path: string;
  /** Requests per second. */
  rate: number;
  durationS: number;
  /** Connections opened before the clock starts. */
  warmConnections: number;
  maxConnections: number;
  /** Extra time after the last due request before unfinished ones count as timed out. */
  graceS: number;
}

export interface FixedRateResult {
  rate: number;
  durationS: number;
  scheduled: number;
  completed: number;
  /** completed / scheduled duration. */
  requestsPerSec: number;
  errors: { connect: number; io: number; status: number; timeout: number };
  errorCount: number;
  /** From intended send time to the end of the response, in microseconds. */
  latency: LatencySummary;
  /** Actual write time minus intended send time, in microseconds: the generator's own lateness. */
  sendLagUs: LatencySummary;
  connectionsOpened: number;
}

/** Monotonic microseconds, the same clock in every thread of the process (CLOCK_MONOTONIC). */
function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}

// Plain JS so the worker needs no TypeScript loader (it also runs from a bundle).
// Atomics.wait oversleeps by the kernel's timer slack (~50-80 µs here), so the worker learns its
// oversleep (moving average), wakes that much early and spins the last ~25 µs: sends then leave
// ~10 µs late instead of ~85, for a few % of a core.
const CLOCK_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { startUs, intervalUs, count, flag } = workerData;
const cell = new Int32Array(flag);
const now = () => { const [s, ns] = process.hrtime(); return s * 1e6 + ns / 1e3; };
let oversleep = 60;
for (let i = 0; i < count; i++) {
  const target = startUs + i * intervalUs;
  const wakeAt = target - oversleep - 25;
  let t = now();
  if (wakeAt > t) {
    Atomics.wait(cell, 0, 0, (wakeAt - t) / 1000);
    t = now();
    oversleep = Math.min(2000, Math.max(0, oversleep * 0.9 + (t - wakeAt) * 0.1));
  }
  while (t < target) t = now();
  if (Atomics.load(cell, 0) !== 0) break;
  parentPort.postMessage(i);
}
`;

interface Conn {
  socket: Socket;
  parser: Http1ResponseParser;
  connected: boolean;
  /** Index of the request in flight, or -1. */
  inflight: number;
  dead: boolean;
}

/** Runs one fixed-rate load. `onStart` is called when the clock starts (after warm connections). */
export async function runFixedRate(o: FixedRateOptions, onStart?: () => void): Promise<FixedRateResult> {
  const count = Math.max(1, Math.round(o.rate * o.durationS));
  const intervalUs = 1e6 / o.rate;
  const request = Buffer.from(`GET ${o.path} HTTP/1.1\r\nHost: ${o.host}\r\n${(o.headers ?? []).map((h) => `${h}\r\n`).join('')}\r\n`, 'latin1');
  const latencies = new Float64Array(count);
  const lags = new Float64Array(count);
  let completed = 0;
  let lagCount = 0;
  let next = 0;
  const errors = { connect: 0, io: 0, status: 0, timeout: 0 };
  let opened = 0;
  const conns = new Set<Conn>();
  const idle: Conn[] = [];
  const pending: number[] = [];
  let startUs = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));

  const settled = (): number => completed + errors.connect + errors.io + errors.status;
  const checkDone = (): void => {
    if (next === count && settled() >= count) finish();
  };

  const send = (c: Conn, i: number): void => {
    c.inflight = i;
    lags[lagCount++] = nowUs() - (startUs + i * intervalUs);
    c.socket.write(request);
  };

  const release = (c: Conn): void => {
    if (c.dead) return;
    const i = pending.shift();
    if (i !== undefined) send(c, i);
    else idle.push(c);
  };

  const drop = (c: Conn, failed: 'connect' | 'io' | undefined): void => {
    if (c.dead) return;
    c.dead = true;
    conns.delete(c);
    const at = idle.indexOf(c);
    if (at >= 0) idle.splice(at, 1);
    if (c.inflight >= 0 && failed) errors[failed]++;
    c.inflight = -1;
    c.socket.destroy();
    if (pending.length && conns.size < o.maxConnections) open(true);
    checkDone();
  };

  function open(forPending: boolean): Conn {
    opened++;
    const c: Conn = {
      socket: connect({ host: '127.0.0.1', port: o.port, noDelay: true }),
      parser: new Http1ResponseParser(),
      connected: false,
      inflight: -1,
      dead: false,
    };
    conns.add(c);
    c.socket.on('connect', () => {
      c.connected = true;
      if (forPending) release(c);
    });
    c.socket.on('data', (chunk: Buffer) => {
      let responses;
      try {
        responses = c.parser.push(chunk);
      } catch {
        drop(c, 'io');
        return;
      }
      for (const r of responses) {
        const t = nowUs();
        const i = c.inflight;
        if (i < 0) continue;
        c.inflight = -1;
        if (r.status >= 200 && r.status < 400) latencies[completed++] = t - (startUs + i * intervalUs);
        else errors.status++;
        if (r.close) {
          drop(c, undefined);
          return;
        }
        release(c);
      }
      checkDone();
    });
    c.socket.on('error', () => drop(c, c.connected ? 'io' : 'connect'));
    c.socket.on('close', () => {
      for (const r of c.parser.end()) if (r.status && c.inflight >= 0) completedFromClose(c);
      drop(c, c.connected ? 'io' : 'connect');
    });
    return c;
  }

  function completedFromClose(c: Conn): void {
    latencies[completed++] = nowUs() - (startUs + c.inflight * intervalUs);
    c.inflight = -1;
  }

  const dispatch = (i: number): void => {
    const c = idle.pop();
    if (c) send(c, i);
    else if (conns.size < o.maxConnections) {
      pending.push(i);
      open(true);
    } else pending.push(i);
  };

  // Warm connections, then start the clock.
  const warm = Array.from({ length: Math.max(0, o.warmConnections) }, () => open(false));
  await Promise.all(
    warm.map(
      (c) =>
        new Promise<void>((r) => {
          if (c.connected || c.dead) r();
          else {
            c.socket.once('connect', () => r());
            c.socket.once('close', () => r());
          }
        }),
    ),
  );
  for (const c of warm) if (!c.dead) idle.push(c);

  startUs = nowUs() + 2000;
  const flag = new SharedArrayBuffer(4);
  const clock = new Worker(CLOCK_WORKER, { eval: true, workerData: { startUs, intervalUs, count, flag } });
  clock.on('message', () => {
    const due = Math.min(count, Math.floor((nowUs() - startUs) / intervalUs) + 1);
    while (next < due) dispatch(next++);
    checkDone();
  });
  onStart?.();

  const deadlineMs = (o.durationS + o.graceS) * 1000 + 100;
  const timer = setTimeout(finish, deadlineMs);
  await finished;
  clearTimeout(timer);
  Atomics.store(new Int32Array(flag), 0, 1);
  Atomics.notify(new Int32Array(flag), 0);
  await clock.terminate();

  errors.timeout = count - settled();
  for (const c of [...conns]) {
    c.dead = true;
    c.socket.destroy();
  }
  const durationS = count / o.rate;
  return {
    rate: o.rate,
    durationS,
    scheduled: count,
    completed,
    requestsPerSec: completed / durationS,
    errors,
    errorCount: errors.connect + errors.io + errors.status + errors.timeout,
    latency: summarize(latencies.subarray(0, completed)),
    sendLagUs: summarize(lags.subarray(0, lagCount)),
    connectionsOpened: opened,
  };
}
