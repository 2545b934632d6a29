/**
 * `mesh up --observability` on a real engine: the stack's Prometheus runs as a container on the
 * project's network, finds every agent through the control server's http_sd and scrapes them; every
 * query of the bundled Grafana dashboards is valid PromQL there and returns data once the project
 * has had HTTP, opaque TCP and fault-injected traffic; `mesh dashboard` shows the URLs; `mesh down`
 * removes the stack and leaves the apps running.
 *
 * Where no registry serves prom/prometheus (this machine, CI) the Prometheus image is assembled from
 * the host's Debian Prometheus. No Jaeger image can be had here either: the test puts an OTLP/HTTP
 * receiver of its own in Jaeger's place (DOCKMESH_JAEGER_IMAGE), which shows the wiring (the agents
 * trace to `<project>-mesh-jaeger:4318` by default) but not Jaeger itself. Grafana has no image:
 * `mesh up` must say so and go on; with a registry it runs, and the test checks it running instead.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { busyboxClient, busyboxServer } from '../support/busybox-services.ts';
import { mesh } from '../support/run-command.ts';
import { waitFor } from '../support/wait-for.ts';
import { fetchMetrics } from '../support/metrics.ts';
import { ensureBaseImage } from '../../cli/images/ensure-base-image.ts';
import { findStack, type StackView } from '../../cli/observability-stack.ts';
import { dashboardQueries } from '../support/dashboards.ts';
import { decodeTracesProto } from '../support/otlp-proto-decoder.ts';
import { ImageEngine } from '../../cli/images/image-engine.ts';
import { tarArchive } from '../../cli/images/tar-archive.ts';

/** Jaeger's stand-in: keeps OTLP/HTTP bodies (port 4318) and lists them at GET /bodies on the UI port (16686). */
const RECEIVER = `
const http = require('node:http');
const bodies = [];
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    bodies.push({ type: req.headers['content-type'], body: Buffer.concat(chunks).toString('base64') });
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
}).listen(4318);
http.createServer((req, res) => res.end(JSON.stringify(bodies))).listen(16686);
`;

if (await requireEngine()) {
  const base = await ensureBaseImage();
  const p = new ComposeProject(
    'dmobs',
    `version: "2.4"
services:
${busyboxServer(base, 'ok')}${busyboxClient(base)}`,
  );
  // Retries and outlier ejection, so that their panels have data: busybox httpd answers a POST to a
  // file with 501.
  writeFileSync(
    join(p.dir, 'mesh.yaml'),
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: server}
spec:
  hosts: [server]
  http:
  - route: [{destination: {host: server}}]
    retries: {attempts: 2, retryOn: 5xx}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: server}
spec:
  host: server
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 2s, maxEjectionPercent: 100}
`,
  );
  let promUrl = '';
  let jaegerUrl = '';
  const receiverImage = `dockmesh-test/otlp-receiver:${p.name}`;
  await new ImageEngine(p.docker).build({
    context: tarArchive([
      { type: 'file', path: 'Dockerfile', contents: `FROM ${base}\nCOPY receiver.js /receiver.js\nENTRYPOINT ["sh", "-c", "exec node /receiver.js", "sh"]\n` },
      { type: 'file', path: 'receiver.js', contents: RECEIVER },
    ]),
    tags: [receiverImage],
  });

  test.after(async () => {
    await p.destroy();
    await p.docker.getImage(receiverImage).remove({ force: true }).catch(() => {});
  });

  const promQuery = async (expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> => {
    const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await r.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  };

  test('mesh up --observability starts the stack\'s Prometheus; it finds both agents through the control server', async () => {
    await p.up();
    const up = await mesh(['up', '-p', p.name, '-f', p.file, '--observability', '--json'], { env: { ...process.env, DOCKMESH_JAEGER_IMAGE: receiverImage } });
    assert.is(up.code, 0, up.stderr);
    const status = JSON.parse(up.stdout) as { agents: unknown[]; observability: StackView[] };
    assert.is(status.agents.length, 2);
    const prom = status.observability.find((v) => v.component === 'prometheus');
    assert.ok(prom?.url, `prometheus has a URL: ${up.stderr}`);
    assert.match(prom.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'published on loopback only');
    promUrl = prom.url;
    const jaeger = status.observability.find((x) => x.component === 'jaeger')!;
    assert.is(jaeger.image, receiverImage, 'DOCKMESH_JAEGER_IMAGE');
    jaegerUrl = jaeger.url!;
    const grafana = status.observability.find((x) => x.component === 'grafana')!;
    if (grafana.state === 'running') assert.ok(grafana.url, 'grafana runs');
    else {
      assert.is(grafana.state, 'not started');
      assert.match(grafana.reason!, /grafana\/grafana:\S+ is not local and no registry serves it; set DOCKMESH_GRAFANA_IMAGE/, 'mesh up says why it is missing');
    }
    const running = status.observability.filter((v) => v.state === 'running');

    const dash = await mesh(['dashboard', '-p', p.name, '--json']);
    assert.is(dash.code, 0, dash.stderr);
    assert.equal((JSON.parse(dash.stdout) as StackView[]).map((v) => v.url), running.map((v) => v.url));
    const st = await mesh(['status', '-p', p.name]);
    assert.match(st.stdout, new RegExp(`^observability: prometheus ${promUrl}, jaeger http://127\\.0\\.0\\.1:\\d+`, 'm'));
    const stJson = JSON.parse((await mesh(['status', '-p', p.name, '--json'])).stdout) as { observability: StackView[] };
    assert.equal(stJson.observability.map((v) => v.url), running.map((v) => v.url));
    const one = await mesh(['dashboard', 'prometheus', '-p', p.name]);
    assert.is(one.stdout.trim(), promUrl);
    const bad = await mesh(['dashboard', 'kibana', '-p', p.name]);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /unknown component "kibana": one of prometheus, jaeger, grafana/);

    const targets = await waitFor(async () => {
      const r = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ health: string; labels: Record<string, string> }> } };
      const active = r.data.activeTargets;
      return active.length === 2 && active.every((t) => t.health === 'up') ? active : null;
    }, 60_000, 'two healthy agent targets', 500);
    assert.equal(targets.map((t) => t.labels.service).sort(), ['client', 'server']);
  });

  test('every query of the bundled Grafana dashboards is valid PromQL on the agents\' metrics and returns data', async () => {
    const [client] = await p.containers('client');
    const [server] = await p.containers('server');
    // HTTP, opaque TCP (not HTTP: the agent tunnels it), 5xx answers (retried, then ejecting the
    // server for 2 s), then a fault the calling agent injects (503 with response flag FI); bounded:
    // 50 requests and 3 connections.
    for (let i = 0; i < 30; i++) assert.is((await p.exec(client!.Id, ['timeout', '5', 'wget', '-qO-', 'http://server:8080/index.html'])).code, 0);
    for (let i = 0; i < 3; i++) await p.exec(client!.Id, ['sh', '-c', 'printf "hello\\n" | timeout 3 nc server 8080']);
    for (let i = 0; i < 10; i++) await p.exec(client!.Id, ['timeout', '5', 'wget', '-qO-', '--post-data=x', 'http://server:8080/index.html']);
    const fault = await mesh(['fault', 'server', '--abort', '503', '--for', '60s', '-p', p.name]);
    assert.is(fault.code, 0, fault.stderr);
    await waitFor(async () => (await p.exec(client!.Id, ['timeout', '5', 'wget', '-qO-', 'http://server:8080/index.html'])).code !== 0, 20_000, 'the fault in force', 250);
    for (let i = 0; i < 10; i++) await p.exec(client!.Id, ['timeout', '5', 'wget', '-qO-', 'http://server:8080/index.html']);
    assert.is((await mesh(['fault', '--clear', '-p', p.name])).code, 0);

    // Every metric a dashboard names is one the agents export.
    const exported = new Set<string>();
    for (const c of [client!, server!]) {
      for (const m of (await fetchMetrics(await p.ip(c.Id))).matchAll(/^# TYPE (\S+) /gm)) exported.add(m[1]!);
    }
    exported.add('up');
    const queries = dashboardQueries(readFileSync(new URL('../../compose/observability/grafana/dashboards/mesh.json', import.meta.url), 'utf8'), 'mesh')
      .concat(dashboardQueries(readFileSync(new URL('../../compose/observability/grafana/dashboards/service.json', import.meta.url), 'utf8'), 'service'));
    assert.ok(queries.length > 30, `${queries.length} queries`);
    for (const q of queries) {
      for (const name of q.metrics) assert.ok(exported.has(name), `${q.panel}: ${name} is exported by the agents`);
    }

    // Values: each panel shows data for one of the project's services (the client calls the server).
    let last: string[] = [];
    await waitFor(async () => {
      const still: string[] = [];
      for (const q of queries) {
        let data = false;
        for (const vars of [{ service: 'server', workload: 'server' }, { service: 'client', workload: 'client' }]) {
          const r = await promQuery(q.expr(vars));
          assert.is(r.status, 'success', `${q.panel}: ${q.expr(vars)}: ${r.error}`);
          if (r.data!.result.length) data = true;
        }
        if (!data) still.push(`${q.dashboard} / ${q.panel}: ${q.expr({ service: 'server', workload: 'client' })}`);
      }
      last = still;
      return still.length === 0;
    }, 60_000, 'data in every panel', 2000).catch((err: Error) => {
      throw new Error(`${err.message}; panels without data:\n${last.join('\n')}`);
    });
    const services = (await (await fetch(`${promUrl}/api/v1/label/service/values?match[]=${encodeURIComponent('up{job="dockmesh-agents"}')}`)).json()) as { data: string[] };
    assert.equal(services.data.sort(), ['client', 'server'], 'the $service variable lists the project\'s services');
  });

  test('with the stack\'s Jaeger and no collector in the meshfile, the agents trace to it', async () => {
    const spans = await waitFor(async () => {
      const bodies = (await (await fetch(`${jaegerUrl}/bodies`)).json()) as Array<{ type: string; body: string }>;
      const out: Array<{ service: string; kind: number }> = [];
      for (const b of bodies) {
        assert.match(b.type, /^application\/x-protobuf/);
        for (const rs of decodeTracesProto(Buffer.from(b.body, 'base64')).resourceSpans ?? []) {
          const service = rs.resource.attributes.find((a: { key: string }) => a.key === 'service.name')?.value.stringValue;
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) out.push({ service, kind: s.kind });
        }
      }
      // kind 3: CLIENT (the client's agent), 2: SERVER (the server's agent)
      return out.some((s) => s.service === 'client' && s.kind === 3) && out.some((s) => s.service === 'server' && s.kind === 2) ? out : null;
    }, 30_000, 'spans of both agents at the stack\'s collector', 500);
    assert.ok(spans.length >= 2);
  });

  test('mesh down removes the stack; the apps keep running', async () => {
    const down = await mesh(['down', '-p', p.name]);
    assert.is(down.code, 0, down.stderr);
    assert.match(down.stderr, new RegExp(`${p.name}-mesh-prometheus removed`));
    assert.equal(await findStack(p.docker, p.name), []);
    for (const s of ['server', 'client']) assert.is((await p.containers(s))[0]?.State, 'running');
    assert.is((await mesh(['dashboard', '-p', p.name])).code, 6, 'not running');
  });

  test.run();
}
