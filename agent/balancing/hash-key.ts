import type { IncomingHttpHeaders } from 'node:http';
import { randomIds } from '../random-ids.ts';
import type { TrafficPolicySnapshot } from '../../wire/types.ts';
import { murmur3 } from './murmur3.ts';
import { parseQuery } from '../routing/request-facts.ts';

type ConsistentHash = NonNullable<NonNullable<TrafficPolicySnapshot['loadBalancer']>['consistentHash']>;

/** The result of hashing one request. */
export interface RequestHash {
  /** undefined: no key (the balancer picks at random). */
  hash: number | undefined;
  /** A `Set-Cookie` value to add to the response (a generated hash cookie). */
  setCookie?: string;
}

const NO_KEY: RequestHash = { hash: undefined };

/** The value of cookie `name` in a Cookie header (pure). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/**
 * Istio's consistentHash key of a request (Envoy's hash policy), hashed with murmur3:
 * `httpHeaderName` (the header's value), `httpCookie` (the cookie's value; when absent and a `ttl`
 * is set, a cookie is generated, used as the key, and set on the response with `Max-Age`, `Path`,
 * the `attributes` and `HttpOnly`, as Envoy's makeSetCookieValue writes it),
 * `useSourceIp` (the downstream address), `httpQueryParameterName`. No key: undefined.
 */
export function requestHash(policy: ConsistentHash, headers: IncomingHttpHeaders, target: string, sourceIp: string): RequestHash {
  if (policy.httpHeaderName !== undefined) {
    const v = headers[policy.httpHeaderName];
    if (v === undefined) return NO_KEY;
    return { hash: murmur3(typeof v === 'string' ? v : v.join(',')) };
  }
  if (policy.httpCookie) {
    const c = policy.httpCookie;
    const cookie = headers.cookie;
    const v = cookieValue(Array.isArray(cookie) ? cookie.join('; ') : cookie, c.name);
    if (v !== undefined) return { hash: murmur3(v) };
    if (c.ttlMs === undefined) return NO_KEY;
    const value = randomIds.hex(8);
    const attrs = [`${c.name}="${value}"`];
    if (c.ttlMs > 0) attrs.push(`Max-Age=${Math.floor(c.ttlMs / 1000)}`);
    if (c.path) attrs.push(`Path=${c.path}`);
    for (const a of c.attributes ?? []) attrs.push(a.value ? `${a.name}=${a.value}` : a.name);
    attrs.push('HttpOnly');
    return { hash: murmur3(value), setCookie: attrs.join('; ') };
  }
  if (policy.useSourceIp) return sourceIp ? { hash: murmur3(sourceIp) } : NO_KEY;
  if (policy.httpQueryParameterName !== undefined) {
    const v = parseQuery(target).get(policy.httpQueryParameterName);
    return v === undefined ? NO_KEY : { hash: murmur3(v) };
  }
  return NO_KEY;
}
