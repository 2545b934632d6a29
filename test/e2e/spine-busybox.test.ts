/**
 * The spine on a real engine with services that are not Node: busybox httpd as the server and
 * busybox wget as the client. mesh up → one ready agent per container, traffic through both
 * agents, scale up and down, mesh down leaves no rule and traffic working.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { busyboxAddressServer, busyboxClient, busyboxServer } from '../support/busybox-services.ts';
import { mesh } from '../support/run-command.ts';
import { waitFor } from '../support/wait-for.ts';
import { fetchMetrics, sumMetric } from '../support/metrics.ts';
import { ensureBaseImage } from '../../cli/images/ensure-base-image.ts';
import { runInNamespace, SAVE_NAT } from '../../cli/namespace-probe.ts';
import { dockmeshLines } from '../../cli/leftover-rules.ts';
import type { StatusView } from '../../wire/types.ts';

if (await requireEngine()) {
  const base = await ensureBaseImage();
  const yaml = `version: "2.4"
services:
${busyboxServer(base, 'hello-from-server')}${busyboxAddressServer(base, 'hello-from-its-address', 'bound')}${busyboxClient(base)}`;
  const p = new ComposeProject('dmbb', yaml);
  const flags = ['-p', p.name, '-f', p.file];

  async function status(): Promise<StatusView> {
    const r = await mesh(['status', '--json', ...flags]);
    return JSON.parse(r.stdout) as StatusView;
  }

  async function wget(client: string, path = '/index.html', host = 'server'): Promise<string> {
    const r = await p.exec(client, ['timeout', '5', 'wget', '-qO-', `http://${host}:8080${path}`]);
    if (r.code !== 0) throw new Error(`wget exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  test.after(async () => {
    await p.destroy();
  });

  /** What `mesh down` must leave exactly as it was: identity, start time, config, networks. */
  async function appFingerprints(): Promise<string[]> {
    const out: string[] = [];
    for (const c of await p.containers()) {
      const i = await p.docker.getContainer(c.Id).inspect();
      out.push(JSON.stringify([i.Id, i.State.StartedAt, i.State.Pid, i.RestartCount, i.Config, i.HostConfig.NetworkMode, Object.keys(i.NetworkSettings.Networks)]));
    }
    return out.sort();
  }
  let before: string[] = [];

  test('mesh up attaches exactly one ready agent per app container', async () => {
    await p.up();
    before = await appFingerprints();
    const t0 = Date.now();
    const r = await mesh(['up', ...flags]);
    assert.is(r.code, 0, r.stderr);
    process.stdout.write(`  mesh up (3 containers): ${Date.now() - t0} ms\n`);
    assert.match(r.stderr, /agent/);
    const s = await status();
    assert.is(s.agents.length, 3);
    assert.ok(s.agents.every((a) => a.ready), JSON.stringify(s.agents));
    for (const c of await p.containers()) {
      const agents = (await p.meshContainers('agent')).filter((a) => a.Labels['dockmesh.agent-for'] === c.Id);
      assert.is(agents.length, 1, `one agent for ${c.Names[0]}`);
      assert.is(agents[0]!.State, 'running');
    }
    assert.equal(s.agents.find((a) => a.service === 'server')!.ports, [8080]);
  });

  test('mesh up twice attaches nothing twice', async () => {
    const before = (await p.meshContainers()).map((c) => c.Id).sort();
    const r = await mesh(['up', ...flags]);
    assert.is(r.code, 0, r.stderr);
    assert.equal((await p.meshContainers()).map((c) => c.Id).sort(), before);
  });

  test('a request from client to server passes through both agents', async () => {
    const [client] = await p.containers('client');
    const [server] = await p.containers('server');
    const clientIp = await p.ip(client!.Id);
    const serverIp = await p.ip(server!.Id);
    const out0 = sumMetric(await fetchMetrics(clientIp), 'istio_requests_total', { reporter: 'source' });
    const in0 = sumMetric(await fetchMetrics(serverIp), 'istio_requests_total', { reporter: 'destination' });
    for (let i = 0; i < 3; i++) assert.is((await wget(client!.Id)).trim(), 'hello-from-server');
    const outMetrics = await fetchMetrics(clientIp);
    const inMetrics = await fetchMetrics(serverIp);
    assert.is(sumMetric(outMetrics, 'istio_requests_total', { reporter: 'source', destination_workload: 'server' }) - out0, 3);
    assert.is(sumMetric(inMetrics, 'istio_requests_total', { reporter: 'destination', source_workload: 'client' }) - in0, 3);
  });

  test('an app that listens only on its container address (not 0.0.0.0) is reached through its agent', async () => {
    const [client] = await p.containers('client');
    const [bound] = await p.containers('bound');
    const boundIp = await p.ip(bound!.Id);
    assert.equal((await status()).agents.find((a) => a.service === 'bound')!.ports, [8080]);
    const in0 = sumMetric(await fetchMetrics(boundIp), 'istio_requests_total', { reporter: 'destination', response_code: '200' });
    for (let i = 0; i < 3; i++) assert.is((await wget(client!.Id, '/index.html', 'bound')).trim(), 'hello-from-its-address');
    const in1 = sumMetric(await fetchMetrics(boundIp), 'istio_requests_total', { reporter: 'destination', response_code: '200' });
    assert.is(in1 - in0, 3, 'the three requests went through its agent');
  });

  test('a scaled-up replica gets its agent and traffic within 10 s; stopping it fails no request', async () => {
    const [client] = await p.containers('client');
    const t0 = Date.now();
    const r = await p.compose(['up', '-d', '--scale', 'server=2', '--no-recreate']);
    assert.is(r.code, 0, r.stderr);
    const replicas = await p.containers('server');
    assert.is(replicas.length, 2);
    const fresh = replicas.find((c) => /[_-]2$/.test(c.Names[0]!))!;
    const freshIp = await p.ip(fresh.Id);
    await waitFor(async () => (await status()).agents.find((a) => a.container === fresh.Id)?.ready, 10_000, 'new replica agent ready');
    const readyMs = Date.now() - t0;
    await waitFor(
      async () => {
        await wget(client!.Id);
        return sumMetric(await fetchMetrics(freshIp), 'istio_requests_total', { reporter: 'destination' }) > 0;
      },
      Math.max(1000, 10_000 - readyMs),
      'traffic at the new replica',
      20,
    );
    process.stdout.write(`  compose scale → new replica's agent ready: ${readyMs} ms\n`);

    await p.docker.getContainer(fresh.Id).stop({ t: 1 });
    let failures = 0;
    for (let i = 0; i < 20; i++) {
      try {
        assert.is((await wget(client!.Id)).trim(), 'hello-from-server');
      } catch {
        failures++;
      }
    }
    assert.is(failures, 0, 'no request fails once the replica is gone');
    await p.compose(['up', '-d', '--scale', 'server=1', '--no-recreate']);
  });

  test('an app container that restarts (new network namespace) gets a new agent, and traffic through it', async () => {
    const [server] = await p.containers('server');
    const oldAgent = (await p.meshContainers('agent')).find((a) => a.Labels['dockmesh.agent-for'] === server!.Id)!;
    await p.docker.getContainer(server!.Id).restart({ t: 1 });
    const fresh = await waitFor(async () => {
      const a = (await p.meshContainers('agent')).find((x) => x.Labels['dockmesh.agent-for'] === server!.Id && x.State === 'running');
      return a && a.Id !== oldAgent.Id ? a : null;
    }, 15_000, 'a new agent for the restarted container');
    assert.is.not(fresh.Id, oldAgent.Id);
    await waitFor(async () => (await status()).agents.every((a) => a.ready), 15_000, 'all agents ready again');
    const [client] = await p.containers('client');
    const serverIp = await p.ip(server!.Id);
    const count0 = sumMetric(await fetchMetrics(serverIp), 'istio_requests_total', { reporter: 'destination' });
    assert.is((await wget(client!.Id)).trim(), 'hello-from-server');
    const count1 = sumMetric(await fetchMetrics(serverIp), 'istio_requests_total', { reporter: 'destination' });
    assert.is(count1 - count0, 1, 'the request went through the new agent');
    // The restart is the test's own doing: mesh down must leave things as they are from here.
    before = await appFingerprints();
  });

  test('mesh down removes every dockmesh container and rule; traffic works as before', async () => {
    const r = await mesh(['down', ...flags]);
    assert.is(r.code, 0, r.stderr);
    assert.is((await p.meshContainers()).length, 0);
    for (const c of await p.containers()) {
      const save = await runInNamespace(p.docker, base, c.Id, SAVE_NAT);
      assert.equal(dockmeshLines(save), [], `no rule left in ${c.Names[0]}`);
    }
    const [client] = await p.containers('client');
    assert.is((await wget(client!.Id)).trim(), 'hello-from-server');
  });

  test('mesh down left the original app containers exactly as they were', async () => {
    const after = await appFingerprints();
    assert.equal(after, before);
  });

  test.run();
}
