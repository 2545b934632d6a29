/**
 * Real Prometheus (Debian's) finds every agent through the control server's http_sd endpoint,
 * scrapes Istio's standard metrics, and promtool accepts the agent's metrics text (but for the unit
 * lint on Istio's own `istio_request_duration_milliseconds`, whose name is the standard). The
 * meshfile's Telemetry overrides the metrics as Istio's task "Customizing Istio Metrics with
 * Telemetry API" does: a label from the request, a label removed, a metric turned off.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { busyboxClient, busyboxServer } from '../support/busybox-services.ts';
import { mesh, runCommand } from '../support/run-command.ts';
import { waitFor } from '../support/wait-for.ts';
import { fetchMetrics } from '../support/metrics.ts';
import { HostPrometheus } from '../support/host-prometheus.ts';
import { ensureBaseImage } from '../../cli/images/ensure-base-image.ts';
import { controlUrl } from '../../cli/control-container.ts';

if (await requireEngine()) {
  const base = await ensureBaseImage();
  const p = new ComposeProject(
    'dmprom',
    `version: "2.4"
services:
${busyboxServer(base, 'ok')}${busyboxClient(base)}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'dm-prom-'));
  const prom = new HostPrometheus();
  const meshfile = join(dir, 'mesh.yaml');
  writeFileSync(
    meshfile,
    `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  metrics:
  - providers: [{name: prometheus}]
    overrides:
    - match: {metric: REQUEST_COUNT, mode: CLIENT}
      tagOverrides:
        request_host: {value: request.host}
        request_protocol: {operation: REMOVE}
    - match: {metric: REQUEST_SIZE, mode: SERVER}
      disabled: true
`,
  );
  const query = async (promql: string) => {
    const r = (await (await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    return r.data.result;
  };

  test.after(async () => {
    prom.stop();
    await p.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('prometheus discovers every agent via http_sd and scrapes istio_requests_total', async () => {
    await p.up();
    const up = await mesh(['up', '-p', p.name, '-f', p.file, '--meshfile', meshfile]);
    assert.is(up.code, 0, up.stderr);
    await prom.start(await controlUrl(p.docker, p.name));
    const [client] = await p.containers('client');
    for (let i = 0; i < 5; i++) {
      const r = await p.exec(client!.Id, ['timeout', '5', 'wget', '-qO-', 'http://server:8080/index.html']);
      assert.is(r.code, 0, r.stderr);
    }
    const targets = await waitFor(async () => {
      const active = await prom.targets();
      return active.length === 2 && active.every((t) => t.health === 'up') ? active : null;
    }, 30_000, 'two healthy agent targets', 250);
    assert.equal(targets.map((t) => t.labels.service).sort(), ['client', 'server']);
    const value = await waitFor(async () => {
      const q = encodeURIComponent('sum(istio_requests_total{reporter="source",destination_service_name="server"})');
      const r = (await (await fetch(`${prom.url}/api/v1/query?query=${q}`)).json()) as { data: { result: Array<{ value: [number, string] }> } };
      const v = Number(r.data.result[0]?.value[1] ?? 0);
      return v >= 5 ? v : null;
    }, 30_000, 'istio_requests_total in prometheus', 250);
    assert.ok(value >= 5);
  });

  test("the meshfile's Telemetry metric overrides, as Prometheus stores them", async () => {
    // The client's request count: request_host read from each request, no request_protocol.
    const count = await query('istio_requests_total{reporter="source",destination_service_name="server"}');
    assert.ok(count.length > 0);
    assert.ok(count.every((s) => s.metric.request_host === 'server:8080' && !('request_protocol' in s.metric)), JSON.stringify(count));
    // Its other metrics keep Istio's labels.
    const duration = await query('istio_request_duration_milliseconds_count{reporter="source",destination_service_name="server"}');
    assert.ok(duration.length > 0 && duration.every((s) => s.metric.request_protocol === 'http' && !('request_host' in s.metric)));
    // The server reports its requests but not their sizes.
    await waitFor(async () => (await query('istio_response_bytes_count{reporter="destination",destination_service_name="server"}')).length > 0, 30_000, "the server's series in prometheus", 250);
    assert.ok((await query('istio_requests_total{reporter="destination",destination_service_name="server"}')).length > 0);
    assert.is((await query('istio_request_bytes_count{reporter="destination"}')).length, 0);
  });

  test('promtool accepts the agent metrics (istio_* and dockmesh_*)', async () => {
    const [server] = await p.containers('server');
    const text = await fetchMetrics(await p.ip(server!.Id));
    const ours = text
      .split('\n')
      .filter((l) => /^(# (HELP|TYPE) )?(istio|dockmesh)_/.test(l))
      .join('\n');
    assert.match(ours, /istio_requests_total\{/);
    writeFileSync(join(dir, 'metrics.txt'), ours + '\n');
    const r = await runCommand('sh', ['-c', `promtool check metrics < ${join(dir, 'metrics.txt')}`]);
    // Istio's own name carries its unit in milliseconds; dashboards and Flagger expect exactly it.
    const accepted = /^istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"$/;
    const problems = (r.stdout + r.stderr).split('\n').map((l) => l.trim()).filter((l) => l && !accepted.test(l));
    assert.equal(problems, [], 'promtool finds nothing else');
    assert.ok(r.code === 0 || r.code === 3, `promtool parsed the text (exit ${r.code})`);
  });

  test.run();
}
