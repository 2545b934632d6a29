/**
 * `GET /v1/tap`: the control server taps the agents of a service (each agent's admin `/tap`, with
 * the key whose hash their snapshots carry) and streams their events to the caller as one NDJSON
 * stream, each event with the agent's container name, filtered by destination, method and path.
 * It ends when the caller goes, after `maxEvents` events, after `durationMs`, or when every agent's
 * stream has ended. docs/observability.md, "Tap".
 */
import { request, type IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import type { AccessLogEntry } from '../../wire/types.ts';

/** A tap request's filters and bounds (parsed from the query string). */
export interface TapQuery {
  /** Logical service, compose service or container name: whose agents to tap. */
  service: string;
  /** Only events whose destination service is this. */
  to?: string;
  /** Only this method (upper case). */
  method?: string;
  /** Only paths that start with this. */
  path?: string;
  maxEvents: number;
  durationMs: number;
}

export const TAP_DEFAULTS = { maxEvents: 10_000, durationMs: 60_000, maxDurationMs: 3_600_000 } as const;

/** Parses `/v1/tap`'s query; an error message for bad input (pure). */
export function parseTapQuery(q: Record<string, unknown>): TapQuery | { error: string } {
  const service = typeof q.service === 'string' ? q.service.trim() : '';
  if (!service) return { error: 'service is required' };
  const int = (name: string, def: number, max: number): number | string => {
    const v = q[name];
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) return `${name} must be an integer between 1 and ${max}`;
    return n;
  };
  const maxEvents = int('max', TAP_DEFAULTS.maxEvents, 1_000_000);
  if (typeof maxEvents === 'string') return { error: maxEvents };
  const durationMs = int('durationMs', TAP_DEFAULTS.durationMs, TAP_DEFAULTS.maxDurationMs);
  if (typeof durationMs === 'string') return { error: durationMs };
  const out: TapQuery = { service, maxEvents, durationMs };
  if (typeof q.to === 'string' && q.to) out.to = q.to;
  if (typeof q.method === 'string' && q.method) out.method = q.method.toUpperCase();
  if (typeof q.path === 'string' && q.path) out.path = q.path;
  return out;
}

/** One event as an agent sends it (the access log's fields; parsed, so not trusted to be whole). */
export type TapEvent = Partial<AccessLogEntry>;

/** Whether an event passes the query's filters (pure). */
export function tapMatches(e: TapEvent, q: TapQuery): boolean {
  if (q.to !== undefined && e.destination_service !== q.to) return false;
  if (q.method !== undefined && e.method !== q.method) return false;
  if (q.path !== undefined && !(typeof e.path === 'string' && e.path.startsWith(q.path))) return false;
  return true;
}

/** An agent to tap: its container name and admin address. */
export interface TapTarget {
  containerName: string;
  admin: string;
}

/**
 * Streams the events of `targets` into `out` until a bound is reached or `out` closes. Resolves
 * when done; the caller ends `out`.
 */
export function fanIn(targets: readonly TapTarget[], key: string, q: TapQuery, out: Writable, log?: (msg: string, f?: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve) => {
    const open = new Set<{ destroy(): void }>();
    let sent = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const r of open) r.destroy();
      resolve();
    };
    const timer = setTimeout(finish, q.durationMs);
    out.once('close', finish);
    if (targets.length === 0) return finish();
    let live = targets.length;
    for (const t of targets) {
      let over = false;
      const ended = () => {
        if (over) return;
        over = true;
        if (--live === 0) finish();
      };
      const req = request(`http://${t.admin}/tap`, { headers: { authorization: `Bearer ${key}` } }, (res: IncomingMessage) => {
        if (res.statusCode !== 200) {
          log?.('tap refused', { container: t.containerName, status: res.statusCode });
          res.resume();
          return ended();
        }
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (done) return;
          const lines = (rest + chunk).split('\n');
          rest = lines.pop()!;
          for (const line of lines) {
            if (!line) continue;
            let e: TapEvent;
            try {
              e = JSON.parse(line) as TapEvent;
            } catch {
              continue;
            }
            if (!tapMatches(e, q)) continue;
            out.write(JSON.stringify({ agent: t.containerName, ...e }) + '\n');
            if (++sent >= q.maxEvents) return finish();
          }
        });
        res.on('end', ended);
        res.on('close', ended);
        res.on('error', () => {});
      });
      open.add(req);
      req.on('error', (err) => {
        if (!done) log?.('tap failed', { container: t.containerName, error: err.message });
        ended();
      });
      req.end();
    }
  });
}
