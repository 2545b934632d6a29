/**
 * Parses what wrk prints. Pure.
 *
 * The bench runs wrk with `wrk-report.lua`, whose done() prints a `WRK_JSON {...}` line with exact
 * figures; that line wins. Without it (a wrk that ignored the script) the human text is parsed:
 * `Requests/sec:`, the `Latency` thread-stats line (max), the `--latency` distribution (50/90/99%),
 * `Socket errors:` and `Non-2xx or 3xx responses:`.
 */
import type { LatencySummary } from '../stats/percentiles.ts';

export interface WrkErrors {
  connect: number;
  read: number;
  write: number;
  /** Responses with a status >= 400 (wrk counts status > 399). */
  status: number;
  timeout: number;
}

export interface WrkResult {
  requests: number;
  durationS: number;
  requestsPerSec: number;
  /** Latency in microseconds. `count` is the number of requests. */
  latency: LatencySummary;
  errors: WrkErrors;
  /** Sum of all error counts. */
  errorCount: number;
}

interface WrkJson {
  requests: number;
  durationUs: number;
  errors: WrkErrors;
  latencyUs: { mean: number; p50: number; p90: number; p99: number; max: number };
}

/** Parses wrk's stdout. Throws when it holds neither the JSON line nor a `Requests/sec` line. */
export function parseWrkOutput(text: string): WrkResult {
  const jsonLine = /^WRK_JSON (\{.*\})\s*$/m.exec(text);
  if (jsonLine) return fromJson(JSON.parse(jsonLine[1]!) as WrkJson);
  return fromText(text);
}

function fromJson(j: WrkJson): WrkResult {
  const durationS = j.durationUs / 1e6;
  return {
    requests: j.requests,
    durationS,
    requestsPerSec: durationS > 0 ? j.requests / durationS : 0,
    latency: {
      count: j.requests,
      p50: j.latencyUs.p50,
      p90: j.latencyUs.p90,
      p99: j.latencyUs.p99,
      max: j.latencyUs.max,
      mean: j.latencyUs.mean,
    },
    errors: j.errors,
    errorCount: sumErrors(j.errors),
  };
}

function fromText(text: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  if (!rps) throw new Error(`wrk output has no Requests/sec line:\n${text.slice(0, 400)}`);
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)/m.exec(text);
  const latencyLine = /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(text);
  const pct = (p: number): number => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(text);
    return m ? parseDuration(m[1]!) : NaN;
  };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const errors: WrkErrors = {
    connect: sock ? Number(sock[1]) : 0,
    read: sock ? Number(sock[2]) : 0,
    write: sock ? Number(sock[3]) : 0,
    timeout: sock ? Number(sock[4]) : 0,
    status: non2xx ? Number(non2xx[1]) : 0,
  };
  const requests = total ? Number(total[1]) : 0;
  return {
    requests,
    durationS: total ? parseDuration(`${total[2]}${total[3]}`) / 1e6 : NaN,
    requestsPerSec: Number(rps[1]),
    latency: {
      count: requests,
      p50: pct(50),
      p90: pct(90),
      p99: pct(99),
      max: latencyLine ? parseDuration(latencyLine[3]!) : NaN,
      mean: latencyLine ? parseDuration(latencyLine[1]!) : NaN,
    },
    errors,
    errorCount: sumErrors(errors),
  };
}

/** wrk's duration notation (`812.00us`, `1.23ms`, `2.00s`, `1.50m`, `1.00h`) to microseconds. */
export function parseDuration(s: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(s.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  const unit = m[2] as 'us' | 'ms' | 's' | 'm' | 'h';
  return v * { us: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 }[unit];
}

function sumErrors(e: WrkErrors): number {
  return e.connect + e.read + e.write + e.status + e.timeout;
}
