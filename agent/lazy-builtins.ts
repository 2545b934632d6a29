/**
 * Node built-ins the agent loads on first use, not at start: memory an agent that never needs them
 * does not pay (docs/agent.md, "Memory"; test/integration/agent/lazy-modules.test.ts).
 */
import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as Http2 from 'node:http2';
import type * as Https from 'node:https';
import type * as Tls from 'node:tls';

const load = createRequire(import.meta.url);

let crypto_: typeof Crypto | undefined; // not `crypto`: that is Web Crypto's global
let tls: typeof Tls | undefined;
let http2: typeof Http2 | undefined;
let https: typeof Https | undefined;

/**
 * node:tls: about 0.7 MB of a process's memory (with what it loads) that an agent without a workload
 * identity, which never terminates or originates mesh TLS, does not need. Loaded by the first
 * certificate (MeshTls), or by the first TLS handshake an inbound listener receives.
 */
export function nodeTls(): typeof Tls {
  return (tls ??= load('node:tls') as typeof Tls);
}

/**
 * node:http2: about 1.5 MB of a process's memory that an agent whose traffic is all HTTP/1.1 and TCP
 * never needs. Loaded with the first HTTP/2 connection a listener receives.
 */
export function nodeHttp2(): typeof Http2 {
  return (http2 ??= load('node:http2') as typeof Http2);
}

/**
 * node:crypto: about 0.6 MB of a process's memory. An agent needs it for its workload identity (key,
 * CSR, certificates) and for mesh TLS, which loads it anyway; the ids it mints per request do not
 * use it (random-ids.ts).
 */
export function nodeCrypto(): typeof Crypto {
  return (crypto_ ??= load('node:crypto') as typeof Crypto);
}

/** node:https (and node:tls with it): only for a JWKS fetched over https (authn/jwks-cache.ts). */
export function nodeHttps(): typeof Https {
  return (https ??= load('node:https') as typeof Https);
}
