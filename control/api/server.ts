/**
 * The control API (fastify): agent routes (stream, ack, report) authenticated by each agent's
 * bootstrap token, and CLI routes authenticated by the API token from $DOCKMESH_HOME.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { bearer, sameToken } from './bearer-token.ts';
import type { AgentReport, CanaryStatusView, StatusView } from '../../wire/types.ts';
import { AgentHub } from '../push/agent-hub.ts';
import type { TemporaryFaults } from '../faults/temporary-faults.ts';
import { parseFaultRequest } from '../faults/fault-request.ts';
import { caRoutes, type CaRoutesOptions } from './ca-routes.ts';
import { parseTapQuery, type TapQuery } from '../tap/tap-fanin.ts';
import type { Writable } from 'node:stream';

/** What the API needs from the rest of the control server. */
export interface ApiBackend {
  hub: AgentHub;
  /** Checks an agent request's authorization header (bootstrap token, then its certificate). */
  verifyAgent(container: string, authorization: string): boolean;
  onReport(container: string, report: AgentReport): void;
  onAck(container: string, version: number, ok: boolean, error?: string): void;
  status(): StatusView;
  /** Snapshots of the agents of a service, for `mesh routes`. */
  snapshotsOf(service: string): unknown[];
  /** The project's services as meshfile checks see them, for `mesh check`. */
  meshfileContext(): unknown;
  faults: TemporaryFaults;
  knowsService(service: string): boolean;
  /** A logical service, compose service or container name of the project. */
  knowsWorkload(name: string): boolean;
  /** Prometheus http_sd targets. */
  sdTargets(): Array<{ targets: string[]; labels: Record<string, string> }>;
  /** The Canaries the control server runs, for `mesh canary`. */
  canaries(): CanaryStatusView[];
  /** Streams live events of a service's agents into `out` (`mesh tap`, `mesh top`). */
  tap(q: TapQuery, out: Writable): Promise<void>;
}

/**
 * Which routes a listener serves. `all`: one listener for everything (no CA: agents speak plaintext).
 * With a CA the API is split: `cli` (port 15010: the CLI's routes, Prometheus' http_sd, health) answers
 * agent routes with 403 `MESH_ERR_AGENT_TLS_REQUIRED`; `agents` (port 15012, TLS) serves only the
 * agent routes and health.
 */
export type ApiRole = 'all' | 'cli' | 'agents';

/** The path prefix of every agent route. */
const AGENT_ROUTE = /^\/v1\/agents\//;

export interface ApiOptions {
  apiToken: string;
  backend: ApiBackend;
  /** Default `all`. */
  role?: ApiRole;
  /** Options of the fastify instance (`https` for the agents' listener). */
  fastify?: { https?: { key: string; cert: string; minVersion?: 'TLSv1.3' } };
  /** The CA's routes (CSR signing, issued certificates); absent: no CA. */
  ca?: Omit<CaRoutesOptions, 'verifyAgent' | 'apiToken'>;
}

function parseReport(body: unknown): AgentReport | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.ports) || !b.ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) return null;
  if (typeof b.ready !== 'boolean') return null;
  return {
    ports: [...new Set(b.ports as number[])].sort((x, y) => x - y),
    ready: b.ready,
    reason: typeof b.reason === 'string' ? b.reason : undefined,
    configVersion: typeof b.configVersion === 'number' ? b.configVersion : 0,
    admin: typeof b.admin === 'string' ? b.admin : undefined,
  };
}

/** Builds (does not listen) the fastify app. */
export function buildApi(o: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1 << 20, ...o.fastify });
  const { backend } = o;
  const role = o.role ?? 'all';
  if (role === 'cli') {
    app.addHook('onRequest', async (req, reply) => {
      if (AGENT_ROUTE.test(req.url)) {
        return reply.code(403).send({ error: 'MESH_ERR_AGENT_TLS_REQUIRED', message: 'agents use the control server\'s TLS listener (port 15012)' });
      }
    });
  } else if (role === 'agents') {
    app.addHook('onRequest', async (req, reply) => {
      if (!AGENT_ROUTE.test(req.url) && req.url !== '/v1/health') return reply.code(404).send({ error: 'MESH_ERR_NOT_FOUND' });
    });
  }

  app.get('/v1/health', async () => ({ ok: true }));

  app.register(async (cli) => {
    cli.addHook('onRequest', async (req, reply) => {
      if (!sameToken(bearer(req), o.apiToken)) return reply.code(401).send({ error: 'MESH_ERR_UNAUTHORIZED' });
    });
    cli.get('/v1/status', async () => backend.status());
    cli.get('/v1/snapshots/:service', async (req) => backend.snapshotsOf((req.params as { service: string }).service));
    cli.get('/v1/meshfile/context', async () => backend.meshfileContext());
    cli.get('/v1/faults', async () => backend.faults.list());
    cli.get('/v1/canaries', async () => backend.canaries());
    cli.get('/v1/tap', async (req, reply) => {
      const q = parseTapQuery(req.query as Record<string, unknown>);
      if ('error' in q) return reply.code(400).send({ error: 'MESH_ERR_BAD_REQUEST', message: q.error });
      if (!backend.knowsWorkload(q.service)) {
        return reply.code(404).send({ error: 'MESH_ERR_UNKNOWN_SERVICE', message: `no service or container "${q.service}" in the project` });
      }
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
      reply.raw.flushHeaders();
      await backend.tap(q, reply.raw);
      reply.raw.end();
    });
    cli.post('/v1/faults', async (req, reply) => {
      const parsed = parseFaultRequest(req.body);
      if ('error' in parsed) return reply.code(400).send({ error: 'MESH_ERR_BAD_REQUEST', message: parsed.error });
      if (!backend.knowsService(parsed.service)) {
        return reply.code(404).send({ error: 'MESH_ERR_UNKNOWN_SERVICE', message: `no service "${parsed.service}" in the project` });
      }
      return backend.faults.set(parsed.service, parsed.fault, parsed.forMs);
    });
    cli.delete('/v1/faults', async (req) => ({ cleared: backend.faults.clear((req.query as { service?: string }).service) }));
  });

  app.get('/v1/sd/agents', async () => backend.sdTargets());

  if (o.ca) {
    app.register(caRoutes, { ...o.ca, apiToken: o.apiToken, verifyAgent: (c, h) => backend.verifyAgent(c, h) });
  }

  app.register(async (agents) => {
    agents.addHook('onRequest', async (req, reply) => {
      const { container } = req.params as { container: string };
      if (!backend.verifyAgent(container, req.headers.authorization ?? '')) {
        return reply.code(401).send({ error: 'MESH_ERR_UNAUTHORIZED' });
      }
    });
    agents.get('/v1/agents/:container/stream', (req, reply) => {
      const { container } = req.params as { container: string };
      reply.hijack();
      backend.hub.attach(container, reply.raw);
    });
    agents.post('/v1/agents/:container/ack', async (req, reply) => {
      const { container } = req.params as { container: string };
      const ack = AgentHub.parseAck(req.body);
      if (!ack) return reply.code(400).send({ error: 'MESH_ERR_BAD_REQUEST' });
      backend.onAck(container, ack.version, ack.ok, ack.error);
      return { ok: true };
    });
    agents.post('/v1/agents/:container/report', async (req, reply) => {
      const { container } = req.params as { container: string };
      const report = parseReport(req.body);
      if (!report) return reply.code(400).send({ error: 'MESH_ERR_BAD_REQUEST' });
      backend.onReport(container, report);
      return { ok: true };
    });
  });
  return app;
}
