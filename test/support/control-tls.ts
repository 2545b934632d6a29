/**
 * Speaking to a control server's agent listener (TLS, port 15012 in containers) from tests, as an
 * agent does: the mesh's roots, and the control server's name checked (agent/identity/control-tls.ts).
 */
import type { PeerCertificate } from 'node:tls';
import { Agent, fetch, type RequestInit } from 'undici';
import type { ControlServer } from '../../control/control-server.ts';
import type { LocalCa } from '../../control/ca/local-ca.ts';
import { checkControlIdentity } from '../../agent/identity/control-tls.ts';

/** `tls.connect` / `https.request` options that check the control server as an agent does. */
export function controlTlsOptions(ca: LocalCa): { ca: string[]; checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined } {
  return { ca: ca.trustBundle(), checkServerIdentity: (_host, cert) => checkControlIdentity(cert) };
}

/** The agent listener's base URL and a `fetch` that trusts it. Close it after use. */
export function agentListener(server: ControlServer, ca: LocalCa) {
  const base = server.status().control.agentApi;
  if (!base) throw new Error('the control server has no agent listener (no CA?)');
  const dispatcher = new Agent({ connect: controlTlsOptions(ca) });
  return {
    base,
    fetch: (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, dispatcher }),
    close: () => dispatcher.close(),
  };
}
