/**
 * mTLS on a real engine: a meshfile with the mesh-wide PeerAuthentication `default` in
 * istio-system set to STRICT. A meshed busybox client reaches busybox httpd over mTLS (the server
 * agent reports the client's SPIFFE ID); a container opted out of the mesh (`dockmesh.inject:
 * "false"`) is refused before httpd sees a connection; `mesh certs --json` lists the identities. A
 * client labelled `dockmesh.namespace: team` is in namespace team: its identity says so.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { busyboxClient, busyboxServer } from '../support/busybox-services.ts';
import { mesh } from '../support/run-command.ts';
import { fetchMetrics, sumMetric } from '../support/metrics.ts';
import { ensureBaseImage } from '../../cli/images/ensure-base-image.ts';
import type { CertsView, StatusView } from '../../wire/types.ts';

const STRICT = `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: STRICT
`;

if (await requireEngine()) {
  const base = await ensureBaseImage();
  const yaml = `version: "2.4"
services:
${busyboxServer(base, 'hello-over-mtls', 'server', '-vv ')}${busyboxClient(base)}${busyboxClient(base, 'outsider', '    labels:\n      dockmesh.inject: "false"\n')}${busyboxClient(base, 'teamclient', '    labels:\n      dockmesh.namespace: team\n')}`;
  const p = new ComposeProject('dmtls', yaml);
  const dir = mkdtempSync(join(tmpdir(), 'dm-mtls-'));
  const meshfile = join(dir, 'mesh.yaml');
  writeFileSync(meshfile, STRICT);
  const flags = ['-p', p.name, '-f', p.file];

  async function status(): Promise<StatusView> {
    return JSON.parse((await mesh(['status', '--json', ...flags])).stdout) as StatusView;
  }

  async function wget(from: string): Promise<{ code: number; out: string }> {
    const r = await p.exec(from, ['timeout', '5', 'wget', '-qO-', 'http://server:8080/index.html']);
    return { code: r.code, out: r.stdout };
  }

  async function id(service: string): Promise<string> {
    const [c] = await p.containers(service);
    return c!.Id;
  }

  test.after(async () => {
    await p.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('mesh up with a STRICT mesh-wide PeerAuthentication: meshed workloads get agents, the outsider none', async () => {
    await p.up();
    const r = await mesh(['up', ...flags, '--meshfile', meshfile]);
    assert.is(r.code, 0, r.stderr);
    const s = await status();
    assert.equal(s.agents.map((a) => a.service).sort(), ['client', 'server', 'teamclient']);
    assert.ok(s.agents.every((a) => a.ready), JSON.stringify(s.agents));
  });

  test('a meshed client reaches the server over mTLS; the server agent records its SPIFFE ID', async () => {
    const client = await id('client');
    const serverIp = await p.ip(await id('server'));
    for (let i = 0; i < 3; i++) {
      const r = await wget(client);
      assert.is(r.code, 0, 'wget from the meshed client');
      assert.is(r.out.trim(), 'hello-over-mtls');
    }
    const m = await fetchMetrics(serverIp);
    const labels = {
      reporter: 'destination',
      source_workload: 'client',
      source_principal: 'spiffe://cluster.local/ns/default/sa/client',
      destination_principal: 'spiffe://cluster.local/ns/default/sa/server',
      connection_security_policy: 'mutual_tls',
    };
    assert.ok(sumMetric(m, 'istio_requests_total', labels) >= 3, 'requests over mutual_tls');
    assert.ok(sumMetric(m, 'dockmesh_cert_expiry_seconds') > 3600, 'the server agent holds a leaf');
  });

  test('dockmesh.namespace: a client labelled team reaches the server with the identity of namespace team', async () => {
    const r = await wget(await id('teamclient'));
    assert.is(r.code, 0, 'wget from the team client');
    assert.is(r.out.trim(), 'hello-over-mtls');
    const m = await fetchMetrics(await p.ip(await id('server')));
    const labels = { reporter: 'destination', source_principal: 'spiffe://cluster.local/ns/team/sa/teamclient', source_workload_namespace: 'team', connection_security_policy: 'mutual_tls' };
    assert.ok(sumMetric(m, 'istio_requests_total', labels) >= 1, 'a request from namespace team over mutual_tls');
  });

  test('STRICT: a plaintext client outside the mesh is refused and httpd sees no connection from it', async () => {
    const outsider = await id('outsider');
    const outsiderIp = await p.ip(outsider);
    const r = await wget(outsider);
    assert.not.equal(r.code, 0, 'wget from the outsider must fail');
    assert.is(r.out, '');
    const logs = (await p.docker.getContainer(await id('server')).logs({ stdout: true, stderr: true })).toString();
    assert.ok(!logs.includes(outsiderIp), `httpd saw the outsider:\n${logs}`);
    assert.ok((await wget(await id('client'))).code === 0, 'the meshed client still succeeds');
  });

  test('agents reach the control server over TLS; its plaintext API refuses the agent routes', async () => {
    const [agent] = await p.docker.listContainers({ filters: { label: ['dockmesh.role=agent', `dockmesh.agent-for=${await id('client')}`] } });
    const env = ((await p.docker.getContainer(agent!.Id).inspect()).Config.Env ?? []) as string[];
    const url = env.find((e) => e.startsWith('DOCKMESH_CONTROL_URL='))!.slice('DOCKMESH_CONTROL_URL='.length);
    assert.match(url, /^https:\/\/[\d.]+:15012$/);
    assert.ok(env.some((e) => e.startsWith('DOCKMESH_CONTROL_CA=-----BEGIN CERTIFICATE-----')), 'the agent has the roots to check the control server with');
    // A container on the project network that is not meshed tries the agent API in plaintext.
    const host = new URL(url).hostname;
    const r = await p.exec(await id('outsider'), ['timeout', '5', 'wget', '-qO-', `http://${host}:15010/v1/agents/x/stream`]);
    assert.not.equal(r.code, 0);
    assert.match(r.stderr, /403/);
  });

  test('mesh certs --json lists one identity per meshed workload', async () => {
    const r = await mesh(['certs', '--json', ...flags]);
    assert.is(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as CertsView;
    const ids = v.certificates.map((c) => c.spiffeId).sort();
    assert.equal(ids, ['spiffe://cluster.local/ns/default/sa/client', 'spiffe://cluster.local/ns/default/sa/server', 'spiffe://cluster.local/ns/team/sa/teamclient']);
    for (const c of v.certificates) assert.ok(new Date(c.notAfter).getTime() > Date.now(), `${c.spiffeId} valid`);
    assert.ok(v.ca.roots.length >= 1);
  });

  test('mesh down', async () => {
    assert.is((await mesh(['down', ...flags])).code, 0);
    assert.is((await p.meshContainers()).length, 0);
  });

  test.run();
}
