/**
 * The CA's routes on the control API (a fastify plugin):
 *   POST /v1/agents/:container/csr   agent token; body CsrRequest → CsrResponse
 *   GET  /v1/certs                   CLI token;   → CertsView
 *
 * The plugin checks both tokens itself (fail closed), whatever scope it is registered in: the host
 * app's agent hook is encapsulated in its own `register` and would not cover routes added here.
 * The identity is the CA's decision: the container's namespace and service from the registry (which
 * reflects the Docker API), never a name in the CSR.
 */
import type { FastifyPluginAsync } from 'fastify';
import { bearer, sameToken } from './bearer-token.ts';
import { CONTROL_NAMESPACE, type CertsView, type CsrResponse } from '../../wire/types.ts';
import { CaError } from '../ca/ca-error.ts';
import type { IssuedCertificates } from '../ca/issued-certificates.ts';
import type { LocalCa } from '../ca/local-ca.ts';
import { spiffeIdFor } from '../ca/spiffe-id.ts';

export interface CaRoutesOptions {
  ca: LocalCa;
  issued: IssuedCertificates;
  /** The workload of a meshed container, or undefined when the registry does not know it. */
  identityFor(container: string): { namespace: string; service: string } | undefined;
  /** The host app's agent check on the whole authorization header (ApiBackend.verifyAgent). */
  verifyAgent(container: string, authorization: string): boolean;
  /** The CLI's API token. */
  apiToken: string;
  /** Leaf lifetime; default 24 h. */
  leafTtlMs?: number;
  /** Called after each issuance (logging, metrics). */
  onIssued?(container: string, spiffeId: string, serial: string): void;
}

/** Max size of a CSR body: a P-256 CSR is under 1 KiB. */
const MAX_CSR_BYTES = 16 * 1024;

export const caRoutes: FastifyPluginAsync<CaRoutesOptions> = async (app, o) => {
  app.post('/v1/agents/:container/csr', { bodyLimit: MAX_CSR_BYTES }, async (req, reply) => {
    const { container } = req.params as { container: string };
    if (!o.verifyAgent(container, req.headers.authorization ?? '')) return reply.code(401).send({ error: 'MESH_ERR_UNAUTHORIZED' });
    const body = req.body as { csr?: unknown } | undefined;
    if (!body || typeof body.csr !== 'string') {
      return reply.code(400).send({ error: 'MESH_ERR_BAD_REQUEST', message: 'body must be {"csr": "<PEM>"}' });
    }
    const who = o.identityFor(container);
    if (!who) return reply.code(404).send({ error: 'MESH_ERR_UNKNOWN_AGENT', message: `no meshed container ${container}` });
    if (who.namespace === CONTROL_NAMESPACE) {
      return reply.code(409).send({ error: 'MESH_ERR_SPIFFE_ID', message: `namespace ${CONTROL_NAMESPACE} is reserved for the control server's identity` });
    }
    let spiffeId: string;
    try {
      spiffeId = spiffeIdFor(who.namespace, who.service);
    } catch (err) {
      return reply.code(409).send({ error: 'MESH_ERR_SPIFFE_ID', message: (err as Error).message });
    }
    try {
      await o.ca.refresh();
      const leaf = await o.ca.signCsr(body.csr, { spiffeId, ttlMs: o.leafTtlMs });
      o.issued.record(container, leaf);
      o.onIssued?.(container, spiffeId, leaf.serial);
      const res: CsrResponse = {
        certificate: leaf.certificate,
        chain: leaf.chain,
        trustBundle: leaf.trustBundle,
        expiresAt: leaf.notAfter.toISOString(),
        spiffeId,
      };
      return res;
    } catch (err) {
      if (err instanceof CaError && err.code === 'MESH_ERR_CSR_INVALID') {
        return reply.code(400).send({ error: err.code, message: err.message });
      }
      throw err;
    }
  });

  app.get('/v1/certs', async (req, reply) => {
    if (!sameToken(bearer(req), o.apiToken)) return reply.code(401).send({ error: 'MESH_ERR_UNAUTHORIZED' });
    await o.ca.refresh();
    const r = o.ca.rotationStatus();
    const view: CertsView = {
      // Only containers the registry still knows: a removed container's leaf is of no interest.
      certificates: o.issued.list().filter((c) => o.identityFor(c.container) !== undefined),
      ca: { roots: r.roots, signer: r.signer, rotating: r.rotating },
    };
    return view;
  });
};
