import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  jaegerTracesUrl,
  renderPrometheusConfig,
  STACK,
  STACK_COMPONENTS,
  stackFiles,
  stackName,
  stackSpec,
} from '../../../cli/observability-stack.ts';
import { formatStack } from '../../../cli/commands/dashboard.ts';
import { prometheusRootfs } from '../../../cli/images/ensure-prometheus-image.ts';
import type { Dashboard } from '../../support/dashboards.ts';

type Spec = {
  name: string;
  Image: string;
  Cmd?: string[];
  Env?: string[];
  Labels: Record<string, string>;
  ExposedPorts: Record<string, object>;
  HostConfig: { PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>>; NetworkMode: string; RestartPolicy: { Name: string } };
};

test('each component: <project>-mesh-<component>, labelled for mesh down, its port published on 127.0.0.1 only, on the project network, never restarted by the engine', () => {
  for (const c of STACK_COMPONENTS) {
    const s = stackSpec(c, { project: 'shop', image: 'img', network: 'shop_default' }) as Spec;
    assert.is(s.name, `shop-mesh-${c}`);
    assert.equal(s.Labels, { 'dockmesh.role': 'observability', 'dockmesh.project': 'shop', 'dockmesh.component': c });
    const port = `${STACK[c].port}/tcp`;
    assert.equal(Object.keys(s.ExposedPorts), [port]);
    assert.equal(s.HostConfig.PortBindings, { [port]: [{ HostIp: '127.0.0.1', HostPort: '' }] });
    assert.is(s.HostConfig.NetworkMode, 'shop_default');
    assert.is(s.HostConfig.RestartPolicy.Name, 'no');
  }
});

test('prometheus reads the copied config; jaeger opens its OTLP receivers to the network; grafana finds both by container name', () => {
  const prom = stackSpec('prometheus', { project: 'shop', image: 'p' }) as Spec;
  assert.ok(prom.Cmd!.includes('--config.file=/etc/prometheus/prometheus.yml'));
  const jaeger = stackSpec('jaeger', { project: 'shop', image: 'j' }) as Spec;
  assert.ok(jaeger.Cmd!.includes('receivers.otlp.protocols.http.endpoint=0.0.0.0:4318'));
  assert.is(jaegerTracesUrl('shop'), 'http://shop-mesh-jaeger:4318/v1/traces');
  const grafana = stackSpec('grafana', { project: 'shop', image: 'g' }) as Spec;
  assert.ok(grafana.Env!.includes('DOCKMESH_PROMETHEUS_URL=http://shop-mesh-prometheus:9090'));
  assert.ok(grafana.Env!.includes('DOCKMESH_JAEGER_URL=http://shop-mesh-jaeger:16686'));
  assert.ok(grafana.Env!.includes('GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH=/etc/dockmesh/dashboards/mesh.json'));
  assert.is(stackName('shop', 'grafana'), 'shop-mesh-grafana');
});

test('the Prometheus config discovers agents through the project\'s control server', async () => {
  const [file] = await stackFiles('prometheus', { project: 'shop', withJaeger: false });
  assert.is(file!.path, 'etc/prometheus/prometheus.yml');
  const config = parse(String((file as { contents: string }).contents)) as { scrape_configs: Array<{ job_name: string; http_sd_configs: Array<{ url: string }> }> };
  assert.equal(config.scrape_configs.map((s) => [s.job_name, s.http_sd_configs[0]!.url]), [['dockmesh-agents', 'http://shop-mesh-control:15010/v1/sd/agents']]);
  assert.is(renderPrometheusConfig('a ${DOCKMESH_CONTROL} b ${DOCKMESH_CONTROL}', 'x'), 'a x-mesh-control:15010 b x-mesh-control:15010');
});

test('Grafana gets the Prometheus datasource, the dashboards provider and every dashboard; the Jaeger datasource only when Jaeger runs', async () => {
  const without = (await stackFiles('grafana', { project: 'shop', withJaeger: false })).map((f) => f.path);
  assert.equal(without, [
    'etc/grafana/provisioning/datasources/dockmesh-prometheus.yaml',
    'etc/grafana/provisioning/dashboards/dockmesh.yaml',
    'etc/dockmesh/dashboards/mesh.json',
    'etc/dockmesh/dashboards/service.json',
  ]);
  const withJaeger = (await stackFiles('grafana', { project: 'shop', withJaeger: true })).map((f) => f.path);
  assert.ok(withJaeger.includes('etc/grafana/provisioning/datasources/dockmesh-jaeger.yaml'));
  assert.equal(await stackFiles('jaeger', { project: 'shop', withJaeger: true }), []);
});

test('the provisioned datasources and the dashboards provider agree with the dashboards', () => {
  const dir = new URL('../../../compose/observability/grafana/', import.meta.url);
  const ds = (name: string) => (parse(readFileSync(new URL(`provisioning/datasources/${name}.yaml`, dir), 'utf8')) as { datasources: Array<{ uid: string; type: string; url: string }> }).datasources[0]!;
  assert.equal([ds('prometheus').uid, ds('prometheus').type, ds('prometheus').url], ['dockmesh-prometheus', 'prometheus', '$DOCKMESH_PROMETHEUS_URL']);
  assert.equal([ds('jaeger').uid, ds('jaeger').type, ds('jaeger').url], ['dockmesh-jaeger', 'jaeger', '$DOCKMESH_JAEGER_URL']);
  const provider = (parse(readFileSync(new URL('provisioning/dashboards/dockmesh.yaml', dir), 'utf8')) as { providers: Array<{ type: string; options: { path: string } }> }).providers[0]!;
  assert.equal([provider.type, provider.options.path], ['file', '/etc/dockmesh/dashboards']);
});

test('the dashboards: unique uids and panel ids, panels inside the 24-column grid, every query on the provisioned Prometheus, every variable defined', () => {
  const uids = new Set<string>();
  for (const name of ['mesh', 'service']) {
    const d = JSON.parse(readFileSync(new URL(`../../../compose/observability/grafana/dashboards/${name}.json`, import.meta.url), 'utf8')) as Dashboard;
    assert.not.ok(uids.has(d.uid));
    uids.add(d.uid);
    const ids = d.panels.map((p) => p.id);
    assert.is(new Set(ids).size, ids.length, `${name}: panel ids unique`);
    const vars = new Set(['__rate_interval', ...d.templating.list.map((v) => v.name)]);
    for (const v of d.templating.list) assert.is(v.datasource.uid, 'dockmesh-prometheus');
    for (const p of d.panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${name} / ${p.title}: inside the grid`);
      if (p.type === 'row') continue;
      assert.ok(p.description, `${name} / ${p.title}: says what it shows`);
      assert.is(p.datasource?.uid, 'dockmesh-prometheus');
      assert.ok(p.targets?.length, `${name} / ${p.title}: has queries`);
      for (const t of p.targets!) {
        assert.is(t.datasource.uid, 'dockmesh-prometheus');
        for (const m of t.expr.matchAll(/\$(\w+)/g)) assert.ok(vars.has(m[1]!), `${name} / ${p.title}: $${m[1]} is defined`);
      }
    }
  }
});

test('the host-assembled Prometheus image: binary, libraries at ldd\'s paths, web assets, a TSDB directory nobody can write', () => {
  const entries = prometheusRootfs({ binary: '/usr/bin/prometheus', webFiles: ['/usr/share/prometheus/web/static/x.js'], libraries: ['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'] });
  const by = new Map(entries.map((e) => [e.path, e]));
  assert.equal(by.get('bin/prometheus'), { type: 'file', path: 'bin/prometheus', mode: 0o755, source: '/usr/bin/prometheus' });
  assert.ok(by.has('lib/x86_64-linux-gnu/libc.so.6') && by.has('lib64/ld-linux-x86-64.so.2'));
  assert.ok(by.has('usr/share/prometheus/web/static/x.js'));
  assert.equal(by.get('prometheus'), { type: 'dir', path: 'prometheus', mode: 0o1777 });
  assert.match(String((by.get('etc/passwd') as { contents: string }).contents), /^nobody:x:65534:/m);
  const paths = entries.map((e) => e.path);
  assert.equal(paths, [...paths].sort(), 'archive order: parents first');
  for (const p of paths) {
    const parent = p.split('/').slice(0, -1).join('/');
    if (parent) assert.ok(by.get(parent)?.type === 'dir', `${parent} is a directory entry`);
  }
});

test('mesh dashboard\'s table', () => {
  const out = formatStack([
    { component: 'prometheus', container: 'shop-mesh-prometheus', image: 'prom/prometheus:v2.55.1', state: 'running', url: 'http://127.0.0.1:32768', what: STACK.prometheus.what },
    { component: 'grafana', container: 'shop-mesh-grafana', image: 'grafana/grafana:11.3.0', state: 'exited', what: STACK.grafana.what },
  ]);
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^COMPONENT +URL +STATE +IMAGE +SHOWS$/);
  assert.match(lines[1]!, /^prometheus +http:\/\/127\.0\.0\.1:32768 +running +prom\/prometheus:v2\.55\.1 +metrics of every agent$/);
  assert.match(lines[2]!, /^grafana +- +exited /);
});

test.run();
