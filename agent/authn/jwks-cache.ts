/**
 * The JSON Web Key Sets the agent fetches for RequestAuthentication rules with a `jwksUri` (or,
 * without one, found by OpenID Connect discovery from the issuer: `<issuer>/.well-known/
 * openid-configuration`'s `jwks_uri`), as Envoy's remote JWKS does in Istio's
 * `PILOT_JWT_ENABLE_REMOTE_JWKS=envoy` mode. A set is fetched when a token first needs it (the
 * request waits, up to the rule's timeout, 5 s by default), kept for {@link JWKS_CACHE_MS} and
 * refetched in the background; a failed fetch is retried by the next request after
 * {@link JWKS_RETRY_MS} (until then tokens fail with Envoy's "Jwks remote fetch is failed").
 */
import http from 'node:http';
import type { JwtRuleSnapshot } from '../../wire/types.ts';
import { nodeHttps } from '../lazy-builtins.ts';
import { parseJwks, type JwtKeySet } from './jwt-verify.ts';

/** Envoy's default `cache_duration` of a remote JWKS. */
export const JWKS_CACHE_MS = 5 * 60_000;
export const JWKS_RETRY_MS = 5_000;
/** Istio's default JWTRule timeout. */
export const JWKS_TIMEOUT_MS = 5_000;
const MAX_BYTES = 1 << 20;

/** GETs `url`; resolves the body of a 200 (at most 1 MiB). */
export type JwksFetch = (url: string, timeoutMs: number) => Promise<string>;

interface Entry {
  keys?: JwtKeySet;
  /** A fetch in flight. */
  pending?: Promise<void>;
  fetchedAt: number;
  failedAt?: number;
  error?: string;
  timer?: NodeJS.Timeout;
}

/** Request authentication counts since start, for the agent's metrics (Envoy's jwt_authn stats). */
export interface JwtStats {
  /** Requests let through: a verified token, or none where none is needed. */
  allowed: number;
  /** Requests refused with 401. */
  denied: number;
  cacheHits: number;
  cacheMisses: number;
  fetchSucceeded: number;
  fetchFailed: number;
}

export class JwksCache {
  readonly stats: JwtStats = { allowed: 0, denied: 0, cacheHits: 0, cacheMisses: 0, fetchSucceeded: 0, fetchFailed: 0 };
  readonly #entries = new Map<string, Entry>();
  readonly #onFirstUse: (() => void) | undefined;
  readonly #fetch: JwksFetch;
  readonly #log: (msg: string) => void;
  #closed = false;

  /** `onFirstUse`: called once, when the first table with JWT rules is built (e.g. to expose the stats). */
  constructor(o: { fetch?: JwksFetch; log?: (msg: string) => void; onFirstUse?: () => void } = {}) {
    this.#fetch = o.fetch ?? getText;
    this.#log = o.log ?? (() => {});
    this.#onFirstUse = o.onFirstUse;
  }

  #used = false;

  /** A table with JWT rules uses this cache (JwtAuthn's constructor). */
  use(): void {
    if (this.#used) return;
    this.#used = true;
    this.#onFirstUse?.();
  }

  /**
   * The key set of `rule` (fetched ones only; a rule with inline `jwks` never comes here): the keys,
   * a promise to wait on while a fetch runs, or undefined when the last fetch failed.
   */
  keys(rule: JwtRuleSnapshot): JwtKeySet | Promise<void> | undefined {
    const key = rule.jwksUri ?? `discover:${rule.issuer}`;
    let e = this.#entries.get(key);
    if (!e) this.#entries.set(key, (e = { fetchedAt: 0 }));
    if (e.keys) return e.keys;
    if (e.pending) return e.pending;
    if (e.failedAt !== undefined && Date.now() - e.failedAt < JWKS_RETRY_MS) return undefined;
    return this.#start(key, e, rule);
  }

  /** Why the key set of `rule` is missing (for /config), if it is. */
  error(rule: JwtRuleSnapshot): string | undefined {
    return this.#entries.get(rule.jwksUri ?? `discover:${rule.issuer}`)?.error;
  }

  close(): void {
    this.#closed = true;
    for (const e of this.#entries.values()) if (e.timer) clearTimeout(e.timer);
    this.#entries.clear();
  }

  #start(key: string, e: Entry, rule: JwtRuleSnapshot): Promise<void> {
    const timeout = rule.timeoutMs ?? JWKS_TIMEOUT_MS;
    const run = async (): Promise<JwtKeySet> => {
      const uri = rule.jwksUri ?? (await this.#discover(rule.issuer, timeout));
      const parsed = parseJwks(await this.#fetch(uri, timeout));
      if (typeof parsed === 'string') throw new Error(`${uri}: ${parsed}`);
      return parsed;
    };
    e.pending = run().then(
      (keys) => {
        this.stats.fetchSucceeded++;
        e.keys = keys;
        e.fetchedAt = Date.now();
        e.failedAt = undefined;
        e.error = undefined;
        e.pending = undefined;
        this.#refreshLater(key, e, rule);
      },
      (err: Error) => {
        this.stats.fetchFailed++;
        // A refetch that fails keeps the keys it had, as Envoy does until they expire.
        e.failedAt = Date.now();
        e.error = err.message;
        e.pending = undefined;
        this.#log(`jwks ${key}: ${err.message}`);
      },
    );
    return e.pending;
  }

  #refreshLater(key: string, e: Entry, rule: JwtRuleSnapshot): void {
    if (this.#closed) return;
    e.timer = setTimeout(() => {
      e.timer = undefined;
      if (!this.#closed && this.#entries.get(key) === e) void this.#start(key, e, rule);
    }, JWKS_CACHE_MS);
    e.timer.unref();
  }

  async #discover(issuer: string, timeoutMs: number): Promise<string> {
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let doc: unknown;
    try {
      doc = JSON.parse(await this.#fetch(url, timeoutMs));
    } catch (err) {
      throw new Error(`OpenID discovery ${url}: ${(err as Error).message}`);
    }
    const uri = (doc as { jwks_uri?: unknown })?.jwks_uri;
    if (typeof uri !== 'string') throw new Error(`OpenID discovery ${url}: no jwks_uri`);
    return uri;
  }
}

/** A plain GET with node:http(s): the agent's own traffic bypasses capture (its UID is exempt). */
function getText(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? nodeHttps().get : http.get;
    const req = get(url, { headers: { accept: 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`${url}: HTTP ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BYTES) req.destroy(new Error(`${url}: larger than 1 MiB`));
        else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
