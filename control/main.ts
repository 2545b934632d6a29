/** Entry of the control container: reads its settings from the environment and runs. */
import { runControl } from './run-control.ts';

const log = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...fields }) + '\n');

const env = process.env;
if (!env.DOCKMESH_PROJECT || !env.DOCKMESH_API_TOKEN) {
  process.stderr.write('control: DOCKMESH_PROJECT and DOCKMESH_API_TOKEN must be set\n');
  process.exit(2);
}
const { close, address } = await runControl({
  project: env.DOCKMESH_PROJECT,
  apiToken: env.DOCKMESH_API_TOKEN,
  agentImage: env.DOCKMESH_AGENT_IMAGE,
  self: env.DOCKMESH_SELF,
  port: env.DOCKMESH_PORT ? Number(env.DOCKMESH_PORT) : undefined,
  host: env.DOCKMESH_HOST,
  meshfile: env.DOCKMESH_MESHFILE || undefined,
  caDir: env.DOCKMESH_CA_DIR || undefined,
  stateDir: env.DOCKMESH_STATE_DIR || undefined,
  defaultTracingEndpoint: env.DOCKMESH_DEFAULT_TRACING_ENDPOINT || undefined,
  // The bundled Prometheus of `mesh up --observability` (cli/observability-stack.ts names it so),
  // as Flagger's --metrics-server: where MetricTemplates without an address send their queries.
  metricsServer: env.DOCKMESH_METRICS_SERVER || `http://${env.DOCKMESH_PROJECT}-mesh-prometheus:9090`,
  log,
});
log('control listening', { address, project: env.DOCKMESH_PROJECT });
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    void close().then(() => process.exit(0));
  });
}
