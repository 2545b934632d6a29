import type { IncomingHttpHeaders } from 'node:http';
import type { HttpMatchSnapshot } from '../../wire/types.ts';

/**
 * What route matching and hash-based balancing read from one request. Built once per request that
 * meets a VirtualService (never on the default route); the query string is parsed lazily, the first
 * time a rule asks for a parameter.
 */
export class RequestFacts {
  readonly method: string;
  /** The request target as received (origin form: path and query). */
  readonly target: string;
  /** The Host header (HTTP/1.1) or :authority (HTTP/2), as sent; '' when absent. */
  readonly authority: string;
  readonly scheme: string;
  /** The destination port the request is for. */
  readonly port: number;
  readonly headers: IncomingHttpHeaders;
  /** The downstream peer's address. */
  readonly sourceIp: string;
  /** The match block that selected the route (set by the router). */
  matched: HttpMatchSnapshot | undefined;
  #path: string | undefined;
  #query: Map<string, string> | undefined;

  constructor(method: string, target: string, authority: string, scheme: string, port: number, headers: IncomingHttpHeaders, sourceIp: string) {
    this.method = method;
    this.target = target;
    this.authority = authority;
    this.scheme = scheme;
    this.port = port;
    this.headers = headers;
    this.sourceIp = sourceIp;
  }

  /** The path without the query string. */
  get path(): string {
    if (this.#path === undefined) {
      const q = this.target.indexOf('?');
      this.#path = q < 0 ? this.target : this.target.slice(0, q);
    }
    return this.#path;
  }

  /** A header's value; repeated headers joined with ", " (set-cookie with "; "). */
  header(name: string): string | undefined {
    const v = this.headers[name];
    if (v === undefined) return undefined;
    return typeof v === 'string' ? v : v.join(name === 'set-cookie' ? '; ' : ', ');
  }

  /** A query parameter's first value, percent-decoded; undefined when absent. */
  queryParam(name: string): string | undefined {
    this.#query ??= parseQuery(this.target);
    return this.#query.get(name);
  }
}

/** The query parameters of a request target, first value wins, percent-decoded where valid (pure). */
export function parseQuery(target: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = target.indexOf('?');
  if (q < 0) return out;
  const end = target.indexOf('#', q);
  const text = end < 0 ? target.slice(q + 1) : target.slice(q + 1, end);
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    if (!out.has(name)) out.set(name, eq < 0 ? '' : decode(part.slice(eq + 1)));
  }
  return out;
}

function decode(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
