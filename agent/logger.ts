import { isoNow } from './utc-time.ts';

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured logger: one JSON line per event on stderr (stdout carries the access log). */
export class Logger {
  readonly #fields: Record<string, unknown>;
  readonly #out: NodeJS.WritableStream;

  constructor(fields: Record<string, unknown> = {}, out: NodeJS.WritableStream = process.stderr) {
    this.#fields = fields;
    this.#out = out;
  }

  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger {
    return new Logger({ ...this.#fields, ...fields }, this.#out);
  }

  log(level: LogLevel, msg: string, extra: Record<string, unknown> = {}): void {
    const err = extra.err;
    if (err instanceof Error) {
      extra = { ...extra, err: { message: err.message, code: (err as { code?: unknown }).code } };
    }
    this.#out.write(JSON.stringify({ time: isoNow(), level, msg, ...this.#fields, ...extra }) + '\n');
  }

  info(msg: string, extra?: Record<string, unknown>): void {
    this.log('info', msg, extra);
  }

  warn(msg: string, extra?: Record<string, unknown>): void {
    this.log('warn', msg, extra);
  }

  error(msg: string, extra?: Record<string, unknown>): void {
    this.log('error', msg, extra);
  }
}
