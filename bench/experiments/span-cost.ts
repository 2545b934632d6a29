/**
 * Experiment behind the agent's own tracer (agent/tracing/) instead of the OpenTelemetry SDK
 * (@opentelemetry/sdk-trace-base + exporter-trace-otlp-http): what each adds to a process that
 * already loads what the agent loads, and what a span costs.
 *
 *   node --import tsx bench/experiments/span-cost.ts [spans=100000] [runs=3]
 *   SPAN_COST_PROTOCOL=http/json node --import tsx bench/experiments/span-cost.ts ...   (the agent's tracer exporting JSON)
 *
 * - RSS: each bundled with esbuild as the agent is, loaded by plain node in a fresh process after
 *   undici and prom-client, GC settled before and after loading it and making its tracer.
 * - CPU per span: a CLIENT span with the agent's ~20 attributes, started, ended and exported over
 *   OTLP/HTTP (batches of 512, to a sink in another process that answers at once), waiting for
 *   each batch so nothing is dropped. "request path" is the part inside the request (start, attributes,
 *   end), the rest is batching, encoding and sending. Loopback only. The agent's tracer exports in
 *   its default encoding (binary protobuf) unless SPAN_COST_PROTOCOL says http/json; the SDK's
 *   exporter-trace-otlp-http sends JSON.
 */
import { execFileSync, fork, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..', '..');

async function main(spans: number, runs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'span-cost-'));
  try {
    const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };
    const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', banner, logLevel: 'silent', absWorkingDir: ROOT } as const;
    writeFileSync(join(dir, 'own.ts'), `export { Tracer } from ${JSON.stringify(join(ROOT, 'agent/tracing/tracer.ts'))};\nexport { OtlpHttpSender } from ${JSON.stringify(join(ROOT, 'agent/tracing/otlp-http-sender.ts'))};\n`);
    writeFileSync(join(dir, 'sdk.mjs'), "export * as base from '@opentelemetry/sdk-trace-base';\nexport { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';\nexport { resourceFromAttributes } from '@opentelemetry/resources';\nexport * as api from '@opentelemetry/api';\n");
    await build({ ...common, entryPoints: [join(dir, 'own.ts')], outfile: join(dir, 'own.bundle.mjs'), nodePaths: [join(ROOT, 'node_modules')] });
    await build({ ...common, entryPoints: [join(dir, 'sdk.mjs')], outfile: join(dir, 'sdk.bundle.mjs'), nodePaths: [join(ROOT, 'node_modules')] });
    writeFileSync(join(dir, 'rss.mjs'), RSS_SCRIPT);
    for (const which of ['none', 'own', 'sdk']) {
      const out = execFileSync(process.execPath, ['--expose-gc', join(dir, 'rss.mjs'), which, join(dir, `${which}.bundle.mjs`), ROOT], { encoding: 'utf8', cwd: ROOT });
      console.log(`RSS added by loading ${which}: ${out.trim()}`);
    }
    const sinkProc = fork(import.meta.filename, ['sink'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const [line] = (await once(sinkProc.stdout!, 'data')) as [Buffer];
    const url = `http://127.0.0.1:${JSON.parse(line.toString()).port}/v1/traces`;
    try {
      for (let i = 0; i < runs * 2; i++) {
        const which = i % 2 === 0 ? 'own' : 'sdk';
        const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, 'cost', which, join(dir, `${which}.bundle.mjs`), String(spans), url], { encoding: 'utf8', cwd: ROOT });
        console.log(`${which}: ${r.stdout.trim() || r.stderr.trim()}`);
      }
    } finally {
      sinkProc.kill();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sink(): void {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' }).end('{}'));
  });
  s.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (s.address() as { port: number }).port })}\n`));
}

/**
 * Loads what the agent loads, then a bundle (argv[2]: own | sdk | none, argv[3]: the bundle), and
 * makes a tracer; prints the RSS it added. Plain JavaScript run by plain node: a loader such as tsx
 * would transform the bundle and inflate the figure.
 */
const RSS_SCRIPT = `
const settle = async () => { for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); } };
const require = (await import('node:module')).createRequire(process.argv[4] + '/');
require('undici');
require('prom-client');
await settle();
const before = process.memoryUsage.rss();
let keep;
if (process.argv[2] === 'own') {
  const m = await import(process.argv[3]);
  keep = new m.Tracer({ settings: { endpoint: 'http://127.0.0.1:9/v1/traces', samplingPercent: 100 } });
} else if (process.argv[2] === 'sdk') {
  const m = await import(process.argv[3]);
  const exporter = new m.OTLPTraceExporter({ url: 'http://127.0.0.1:9/v1/traces' });
  keep = new m.base.BasicTracerProvider({ resource: m.resourceFromAttributes({ 'service.name': 'web' }), spanProcessors: [new m.base.BatchSpanProcessor(exporter)] }).getTracer('dockmesh');
}
await settle();
console.log(((process.memoryUsage.rss() - before) / 1e6).toFixed(2) + ' MB' + (keep ? '' : ' (baseline)'));
process.exit(0);
`;

const ATTRIBUTES = {
  'http.method': 'GET', 'http.protocol': 'HTTP/1.1', 'http.status_code': 200, response_flags: '-',
  upstream_cluster: 'outbound|8080||api.default', 'upstream_cluster.name': 'outbound|8080||api.default', 'peer.address': '172.18.0.7',
  upstream_address: '172.18.0.7:8080', request_size: 0, response_size: 512, 'guid:x-request-id': 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
  user_agent: 'curl/8.0', 'dockmesh.attempt': 1, component: 'proxy', node_id: 'sidecar~172.18.0.5~web-1.default~default.svc.cluster.local',
  'istio.canonical_service': 'web', 'istio.canonical_revision': 'v1', 'istio.namespace': 'default', 'istio.mesh_id': 'cluster.local',
};

/** Makes `n` spans with `which`, exporting to `url`; prints CPU per span. */
async function cost(which: string, bundle: string, n: number, url = process.argv[6]!): Promise<void> {
  const m = await import(bundle);
  let one: (i: number) => void;
  let flush: () => Promise<void>;
  if (which === 'own') {
    const protocol = process.env.SPAN_COST_PROTOCOL === 'http/json' ? 'http/json' : 'http/protobuf';
    const sender = new m.OtlpHttpSender(url, protocol);
    let pending: Promise<void> = Promise.resolve();
    const tracer = new m.Tracer({ settings: { endpoint: url, samplingPercent: 100, protocol }, send: (c: Buffer[]) => (pending = sender.send(c)) });
    tracer.setIdentity({ service: 'web', namespace: 'default', workload: 'web', container: 'c', containerName: 'web-1', labels: { version: 'v1' } }, '172.18.0.5');
    const cluster = { key: 'outbound|8080||api.default', id: { service: 'api', namespace: 'default', subset: '', port: 8080 } };
    const host = { endpoint: { target: '172.18.0.7:8080', address: '172.18.0.7' } };
    const base = ['host', 'api:8080', 'accept', '*/*'];
    one = (i) => {
      const t = tracer.begin({ raw: [], traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
      const req = { method: 'GET', h2: false, peer: '127.0.0.1', head: { host: 'api:8080', requestId: ATTRIBUTES['guid:x-request-id'], userAgent: 'curl/8.0' }, req: { url: `/orders/${i}` }, requestBytes: 0, responseBytes: 512, start: performance.now() };
      tracer.attempt(t, req, cluster, host, 1, base).span.end(200, undefined);
    };
    flush = async () => {
      await new Promise((r) => setImmediate(r));
      await pending;
    };
  } else {
    const exporter = new m.OTLPTraceExporter({ url, timeoutMillis: 5000 });
    const bsp = new m.base.BatchSpanProcessor(exporter, { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 1000 });
    const provider = new m.base.BasicTracerProvider({ resource: m.resourceFromAttributes({ 'service.name': 'web' }), spanProcessors: [bsp] });
    const tracer = provider.getTracer('dockmesh-agent', '0.1.0');
    const parent = m.api.trace.setSpanContext(m.api.context.active(), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
    one = (i) => {
      const span = tracer.startSpan('api.default.svc.cluster.local:8080/*', { kind: m.api.SpanKind.CLIENT }, parent);
      span.setAttributes(ATTRIBUTES);
      span.setAttribute('http.url', `http://api:8080/orders/${i}`);
      span.end();
    };
    flush = () => bsp.forceFlush();
  }
  const run = async (count: number) => {
    let inside = 0n;
    for (let i = 0; i < count; i++) {
      const t = process.hrtime.bigint();
      one(i);
      inside += process.hrtime.bigint() - t;
      if (i % 512 === 511) await flush();
    }
    await flush();
    return inside;
  };
  await run(8192);
  const c0 = process.cpuUsage();
  const inside = await run(n);
  const c = process.cpuUsage(c0);
  console.log(`${(((c.user + c.system) * 1000) / n / 1000).toFixed(2)} µs CPU per span, ${(Number(inside / BigInt(n)) / 1000).toFixed(2)} µs of it on the request path`);
  process.exit(0);
}

const role = process.argv[2];
if (role === 'sink') sink();
else if (role === 'cost') await cost(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
else await main(Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 3));
