/**
 * node:tls, loaded on first use: about 0.7 MB of a process's memory (with what it loads) that an
 * agent without a workload identity, which never terminates or originates mesh TLS, does not need.
 * Loaded by the first certificate (MeshTls), or by the first TLS handshake an inbound listener
 * receives.
 */
import { createRequire } from 'node:module';
import type * as Tls from 'node:tls';

let tls: typeof Tls | undefined;

export function nodeTls(): typeof Tls {
  return (tls ??= createRequire(import.meta.url)('node:tls') as typeof Tls);
}
