/**
 * A Flagger MetricTemplate without an address, on a real engine: `mesh up --observability` runs the
 * project's Prometheus, the control server sends the template's queries to it by default (as
 * Flagger's --metrics-server), and the canary is promoted on them. The queries name the canary by
 * `{{ target }}`, its compose service; one needs requests (so the canary's own series must be in
 * Prometheus), the other no 5xx.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { busyboxClient, busyboxServer } from '../support/busybox-services.ts';
import { mesh } from '../support/run-command.ts';
import { waitFor } from '../support/wait-for.ts';
import { ensureBaseImage } from '../../cli/images/ensure-base-image.ts';
import type { CanaryStatusView } from '../../wire/types.ts';

const MESHFILE = `apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata: {name: canary-requests}
spec:
  provider: {type: prometheus}
  query: sum(increase(istio_requests_total{reporter="destination", destination_workload="{{ target }}", response_code=~"{{ variables.codes }}"}[{{ interval }}])) or vector(0)
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: echo}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: echo}
  service: {port: 8080}
  analysis:
    interval: 2s
    threshold: 30
    maxWeight: 50
    stepWeight: 50
    metrics:
    - name: canary requests
      templateRef: {name: canary-requests}
      templateVariables: {codes: ".*"}
      thresholdRange: {min: 1}
      interval: 30s
    - name: canary 5xx
      templateRef: {name: canary-requests}
      templateVariables: {codes: "5.."}
      thresholdRange: {max: 0}
      interval: 30s
`;

if (await requireEngine()) {
  const base = await ensureBaseImage();
  const labels = (canary: boolean) => `    labels: {dockmesh.service: echo${canary ? ', dockmesh.canary: "true"' : ''}}\n`;
  const p = new ComposeProject(
    'dmmt',
    `version: "2.4"
services:
${busyboxServer(base, 'primary', 'echo')}${labels(false)}${busyboxServer(base, 'canary', 'echo-canary')}${labels(true)}${busyboxClient(base)}`,
  );
  writeFileSync(join(p.dir, 'mesh.yaml'), MESHFILE);

  test.after(async () => {
    await p.destroy();
  });

  test('a MetricTemplate without an address queries the bundled Prometheus; the canary is promoted on it', async () => {
    await p.up();
    const up = await mesh(['up', '-p', p.name, '-f', p.file, '--observability']);
    assert.is(up.code, 0, up.stderr);
    const [client] = await p.containers('client');
    // Traffic while the analysis runs, from the client container itself: five requests a second at
    // most, for two minutes at most. The canary's series count in Prometheus' increase() from their
    // second scrape (every 5 s), so "canary requests" passes some seconds after the first step.
    const load = await p.exec(client!.Id, ['sh', '-c', 'timeout 120 sh -c "while true; do wget -qO- http://echo:8080/index.html; sleep 0.2; done" >/dev/null 2>&1 &']);
    assert.is(load.code, 0, load.stderr);
    let status: CanaryStatusView | undefined;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      const r = await mesh(['canary', 'echo', '-p', p.name, '--json']);
      status = (JSON.parse(r.stdout) as CanaryStatusView[])[0];
      if (status?.phase === 'Succeeded' || status?.phase === 'Failed') break;
    }
    assert.is(status?.phase, 'Succeeded', JSON.stringify(status));
    const checks = Object.fromEntries(status!.checks.map((c) => [c.metric, c]));
    assert.ok(checks['canary requests']!.ok && checks['canary requests']!.value! >= 1, JSON.stringify(status!.checks));
    assert.equal([checks['canary 5xx']!.value, checks['canary 5xx']!.ok], [0, true]);
    const answers = new Set<string>();
    for (let i = 0; i < 5; i++) answers.add((await p.exec(client!.Id, ['timeout', '5', 'wget', '-qO-', 'http://echo:8080/index.html'])).stdout.trim());
    assert.equal([...answers], ['canary'], 'promoted: the canary takes every request');
  });

  test.run();
}
