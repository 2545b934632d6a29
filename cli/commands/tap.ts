/**
 * `mesh tap <service>` streams the live requests of a service's agents (each one as it finishes:
 * inbound and outbound, with status, latency, flags, upstream); `mesh top <service>` aggregates them
 * into a table by source, destination, method and path, as Linkerd's tap and top do.
 * docs/observability.md, "Tap".
 */
import { connectEngine } from '../engine.ts';
import { resolveProject, type ProjectFlags } from '../project.ts';
import { controlClient } from '../control-container.ts';
import { ControlClient, ControlApiError } from '../control-client.ts';
import { apiToken } from '../home.ts';
import { table } from '../table.ts';
import { UserError } from '../errors.ts';
import { durationFlag } from '../duration-flag.ts';
import type { AccessLogEntry } from '../../wire/types.ts';

export interface TapFlags extends ProjectFlags {
  to?: string;
  method?: string;
  path?: string;
  max?: string;
  duration?: string;
  json?: boolean;
}

/** One tap event: the access log's fields, with the agent's container name. */
export type TapEventView = AccessLogEntry & { agent: string };

/** The server's longest tap. */
const MAX_TAP_MS = 3_600_000;

function query(service: string, flags: TapFlags, defaultMs: number): Record<string, string> {
  const q: Record<string, string> = { service, durationMs: String(flags.duration ? Math.min(MAX_TAP_MS, durationFlag(flags.duration, '--duration')) : defaultMs) };
  if (flags.to) q.to = flags.to;
  if (flags.method) q.method = flags.method;
  if (flags.path) q.path = flags.path;
  if (flags.max !== undefined) {
    const n = Number(flags.max);
    if (!Number.isInteger(n) || n < 1) throw new UserError('MESH_ERR_USAGE', `--max ${flags.max}: a positive integer`);
    q.max = String(n);
  }
  return q;
}

/** One line of `mesh tap` (pure). */
export function tapLine(e: TapEventView): string {
  const time = e.time.slice(11, 23);
  const flow = `${e.source_service} → ${e.destination_service}`;
  const flags = e.response_flags === '-' ? '' : `  flags ${e.response_flags}`;
  const upstream = e.upstream ? `  upstream ${e.upstream}` : '';
  const tls = e.source_principal ? '  mtls' : '';
  if (e.protocol === 'tcp') {
    return `${time}  ${e.agent}  ${e.direction.padEnd(8)} tcp  ${flow}  ${e.duration_ms} ms  ${e.bytes_received ?? 0} B in, ${e.bytes_sent ?? 0} B out${upstream}${flags}${tls}`;
  }
  return `${time}  ${e.agent}  ${e.direction.padEnd(8)} ${e.method} ${e.path}  ${e.status || '-'}  ${e.duration_ms} ms  ${flow}${upstream}${flags}${tls}`;
}

async function stream(service: string, flags: TapFlags, defaultMs: number, each: (e: TapEventView) => void): Promise<void> {
  const docker = await connectEngine();
  const project = await resolveProject(docker, flags);
  const client = await controlClient(docker, project.name, apiToken());
  const q = query(service, flags, defaultMs);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    for await (const e of client.tap(q, abort.signal)) each(e as unknown as TapEventView);
  } catch (err) {
    if (err instanceof ControlApiError && err.status === 404) throw new UserError('MESH_ERR_USAGE', `${err.message} (mesh status lists the services)`);
    throw err;
  } finally {
    process.off('SIGINT', stop);
  }
}

export async function tap(service: string, flags: TapFlags): Promise<number> {
  await stream(service, flags, MAX_TAP_MS, (e) => {
    process.stdout.write(flags.json ? JSON.stringify(e) + '\n' : tapLine(e) + '\n');
  });
  return 0;
}

/** One row of `mesh top`. */
export interface TopRow {
  source: string;
  destination: string;
  method: string;
  path: string;
  count: number;
  /** Latencies, ms. */
  best: number;
  worst: number;
  last: number;
  /** Share of answers that are not 5xx (and not a connection without answer), 0–1. */
  successRate: number;
}

/** Aggregates tap events as `mesh top` shows them, busiest first (pure). */
export class TopTable {
  readonly #rows = new Map<string, TopRow & { ok: number }>();

  add(e: TapEventView): void {
    if (e.protocol === 'tcp') return;
    const key = `${e.source_service}\u0000${e.destination_service}\u0000${e.method}\u0000${e.path}`;
    let r = this.#rows.get(key);
    if (!r) {
      r = { source: e.source_service, destination: e.destination_service, method: e.method ?? '', path: e.path ?? '', count: 0, best: Infinity, worst: 0, last: 0, successRate: 0, ok: 0 };
      this.#rows.set(key, r);
    }
    r.count++;
    if (e.status > 0 && e.status < 500) r.ok++;
    r.best = Math.min(r.best, e.duration_ms);
    r.worst = Math.max(r.worst, e.duration_ms);
    r.last = e.duration_ms;
    r.successRate = r.ok / r.count;
  }

  rows(): TopRow[] {
    return [...this.#rows.values()]
      .map(({ ok: _ok, ...r }) => r)
      .sort((a, b) => b.count - a.count || a.path.localeCompare(b.path));
  }

  text(): string {
    const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`;
    return table(
      ['SOURCE', 'DESTINATION', 'METHOD', 'PATH', 'COUNT', 'BEST', 'WORST', 'LAST', 'SUCCESS RATE'],
      this.rows().map((r) => [r.source, r.destination, r.method, r.path, String(r.count), ms(r.best), ms(r.worst), ms(r.last), `${(100 * r.successRate).toFixed(1)}%`]),
    );
  }
}

export async function top(service: string, flags: TapFlags): Promise<number> {
  const t = new TopTable();
  const live = process.stdout.isTTY && !flags.json;
  const redraw = live ? setInterval(() => process.stdout.write(`\x1b[H\x1b[2J${t.text()}`), 1000) : undefined;
  try {
    await stream(service, flags, live ? MAX_TAP_MS : 10_000, (e) => t.add(e));
  } finally {
    clearInterval(redraw);
  }
  if (flags.json) process.stdout.write(JSON.stringify(t.rows(), null, 2) + '\n');
  else process.stdout.write((live ? '\x1b[H\x1b[2J' : '') + (t.rows().length ? t.text() : 'no requests seen\n'));
  return 0;
}
