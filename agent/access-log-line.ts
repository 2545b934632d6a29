import type { AccessLogEntry } from './access-log.ts';

/** What JSON.stringify would escape in a string: `"`, `\`, control characters, surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal; JSON.stringify only for the rare string that needs escaping. */
function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function strOrNull(s: string | null): string {
  return s === null ? 'null' : str(s);
}

/**
 * The last string of one field and its literal: fields that repeat request after request (the time
 * within a millisecond, the method, the services, the endpoint, the flags) skip the escape check.
 */
class Memo {
  #s: string | null = null;
  #lit = 'null';

  lit(s: string | null): string {
    if (s === this.#s) return this.#lit;
    this.#s = s;
    return (this.#lit = strOrNull(s));
  }
}

const time = new Memo();
const method = new Memo();
const source = new Memo();
const destination = new Memo();
const upstream = new Memo();
const flags = new Memo();
const principal = new Memo();

function num(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null';
}

/**
 * A duration in milliseconds rounded to the microsecond, as the access log records it, written as
 * `num` would write it, but from the integer count of microseconds: V8's shortest round-trip
 * conversion of the double costs about five times as much. Anything else goes through `num`.
 */
function millis(n: number): string {
  if (n >= 0 && n < 1e9) {
    const us = Math.round(n * 1000);
    // Exactly the double nearest to us / 1000, whose shortest form is that decimal.
    if (us / 1000 === n) {
      const whole = Math.floor(us / 1000);
      const frac = us - whole * 1000;
      if (frac === 0) return `${whole}`;
      if (frac % 100 === 0) return `${whole}.${frac / 100}`;
      if (frac % 10 === 0) return `${whole}.${frac < 100 ? '0' : ''}${frac / 10}`;
      return `${whole}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
    }
  }
  return num(n);
}

/**
 * One access log line with its newline: the bytes of `JSON.stringify(entry) + '\n'` (same fields,
 * order and escaping), built from a template in which only strings pass an escape check.
 */
export function accessLogLine(e: AccessLogEntry): string {
  let line = `{"time":${time.lit(e.time)},"trace_id":${strOrNull(e.trace_id)},"request_id":${strOrNull(e.request_id)},"method":${method.lit(e.method)},"path":${strOrNull(e.path)},"status":${num(e.status)},"duration_ms":${millis(e.duration_ms)},"source_service":${source.lit(e.source_service)},"destination_service":${destination.lit(e.destination_service)},"upstream":${upstream.lit(e.upstream)},"attempts":${num(e.attempts)},"response_flags":${flags.lit(e.response_flags)},"direction":"${e.direction}"`;
  if (e.protocol !== undefined) line += `,"protocol":${str(e.protocol)},"bytes_received":${num(e.bytes_received ?? 0)},"bytes_sent":${num(e.bytes_sent ?? 0)}`;
  if (e.requested_server_name !== undefined) line += `,"requested_server_name":${str(e.requested_server_name)}`;
  if (e.source_principal !== undefined) line += `,"source_principal":${principal.lit(e.source_principal)}`;
  if (e.audit !== undefined) line += `,"audit":${e.audit}`;
  return `${line}}\n`;
}
