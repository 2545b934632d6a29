/**
 * A control API on loopback with only the CA routes: a temp CA directory, a fake registry
 * (container → workload) and agent tokens; plus a `submit` for WorkloadIdentity that POSTs to it.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CsrResponse } from '../../../wire/types.ts';
import { caRoutes } from '../../../control/api/ca-routes.ts';
import { IssuedCertificates } from '../../../control/ca/issued-certificates.ts';
import { LocalCa } from '../../../control/ca/local-ca.ts';

export interface CaHarness {
  app: FastifyInstance;
  url: string;
  ca: LocalCa;
  issued: IssuedCertificates;
  dir: string;
  /** container → workload; tests add and remove entries. */
  registry: Map<string, { namespace: string; service: string }>;
  /** container → agent token. */
  tokens: Map<string, string>;
  apiToken: string;
  submitFor(container: string, token?: string): (csrPem: string) => Promise<CsrResponse>;
  close(): Promise<void>;
}

export async function startCa(o: { leafTtlMs?: number } = {}): Promise<CaHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'dockmesh-ca-it-'));
  const ca = await LocalCa.open(join(dir, 'ca'));
  const issued = new IssuedCertificates();
  const registry = new Map<string, { namespace: string; service: string }>();
  const tokens = new Map<string, string>();
  const apiToken = 'cli-token-123';
  const app = Fastify({ logger: false });
  await app.register(caRoutes, {
    ca,
    issued,
    apiToken,
    leafTtlMs: o.leafTtlMs,
    identityFor: (c) => registry.get(c),
    verifyAgent: (c, h) => h.startsWith('Bearer ') && h.length > 7 && tokens.get(c) === h.slice(7),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    app,
    url,
    ca,
    issued,
    dir,
    registry,
    tokens,
    apiToken,
    submitFor: (container, token) => async (csr) => {
      const res = await fetch(`${url}/v1/agents/${container}/csr`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? tokens.get(container) ?? ''}` },
        body: JSON.stringify({ csr }),
      });
      if (!res.ok) throw new Error(`CSR: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as CsrResponse;
    },
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
