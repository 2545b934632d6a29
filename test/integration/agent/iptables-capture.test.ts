/**
 * Container mode for real, in a throwaway network namespace (`unshare --net`, root): the capture
 * manager cleans stale rules, installs the chains, forks the proxy as UID 1337, captures outbound
 * traffic to meshed endpoints, follows new app ports and snapshots, and leaves no rule behind on
 * SIGTERM or when the proxy crashes. Skipped, loudly, where unshare or iptables is not permitted.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IptablesRunner } from '../../../agent/iptables-runner.ts';
import { waitFor } from '../../support/wait-for.ts';
import { endpoint, service, snapshot } from '../../unit/agent/snapshot-fixture.ts';
import { ControlStub, EchoApp, startAgent, TestClient, type RunningAgent } from './agent-harness.ts';

const execFileAsync = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);
const nat = () => execFileSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' });

if (process.env.DOCKMESH_TEST_NETNS !== '1') {
  const probe = spawnSync('unshare', ['--net', 'iptables', '-t', 'nat', '-S'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    const why = (probe.stderr || probe.error?.message || '').trim();
    console.log(`\n!!! NOTICE: skipping the iptables capture suite: unshare --net with iptables is not permitted here (${why})\n`);
    test.skip('container mode in a network namespace', () => {});
    test.run();
  } else {
    const child = spawn('unshare', ['--net', process.execPath, '--import', 'tsx', SELF], {
      stdio: 'inherit',
      env: { ...process.env, DOCKMESH_TEST_NETNS: '1' },
    });
    child.on('exit', (code) => (process.exitCode = code ?? 1));
  }
} else {
  const PEER = '10.77.0.2';
  const PEER2 = '10.77.0.3';
  let client: TestClient;
  let control: ControlStub;
  let app: EchoApp;
  let app2: EchoApp | undefined;
  let peer: EchoApp;
  let agent: RunningAgent | undefined;
  let peerNs: ChildProcess | undefined;
  const inPeer = (cmd: string[]) =>
    execFileSync('nsenter', ['-t', String(peerNs!.pid), '-n', ...cmd], { encoding: 'utf8', timeout: 10_000 });

  /** The proxy forked by this test's capture manager (never another agent's on this host). */
  const proxyChild = (a: RunningAgent): { pid: number; uid: number } => {
    const ps = execFileSync('ps', ['-o', 'pid=,ppid=,uid=,args=', '-e'], { encoding: 'utf8' });
    for (const line of ps.split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
      if (m && Number(m[2]) === a.proc.pid && m[4]!.includes('--proxy-child')) return { pid: Number(m[1]), uid: Number(m[3]) };
    }
    throw new Error(`no proxy child of ${a.proc.pid}`);
  };

  const webSnapshot = (version: number, address: string) =>
    snapshot(version, 'web', [service('api', [8080], [endpoint('api', address, 8080, peer.port)])]);

  test.before(async () => {
    // A peer namespace (a sleeping process in its own netns) joined to ours by a veth pair.
    execFileSync('ip', ['link', 'set', 'lo', 'up']);
    peerNs = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
    await waitFor(() => {
      const mine = execFileSync('readlink', ['/proc/self/ns/net'], { encoding: 'utf8' });
      const theirs = execFileSync('readlink', [`/proc/${peerNs!.pid}/ns/net`], { encoding: 'utf8' });
      return mine !== theirs;
    }, 5000, 'peer namespace');
    execFileSync('ip', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    execFileSync('ip', ['link', 'set', 'v1', 'netns', String(peerNs.pid)]);
    execFileSync('ip', ['addr', 'add', '10.77.0.1/24', 'dev', 'v0']);
    execFileSync('ip', ['link', 'set', 'v0', 'up']);
    inPeer(['ip', 'link', 'set', 'lo', 'up']);
    inPeer(['ip', 'addr', 'add', `${PEER}/24`, 'dev', 'v1']);
    inPeer(['ip', 'link', 'set', 'v1', 'up']);
    // Rules a SIGKILLed agent left behind.
    await new IptablesRunner().install({ inbound: [{ port: 1234, to: 15006 }], outbound: [] });
    client = new TestClient();
    control = await new ControlStub().listen();
    app = await new EchoApp('app').listen('0.0.0.0');
    peer = await new EchoApp('peer').listen('127.0.0.1');
  });

  test.after(async () => {
    await client.close();
    await agent?.stop();
    await Promise.all([app.close(), peer.close(), app2?.close(), control.close()]);
    peerNs?.kill('SIGKILL');
  });

  test('install: stale rules cleaned, app port and meshed destination captured, proxy runs as 1337', async () => {
    control.push(webSnapshot(1, PEER));
    agent = await startAgent(['--capture', 'iptables'], {
      DOCKMESH_CONTROL_URL: control.url, DOCKMESH_CONTAINER: 'web-1', DOCKMESH_TOKEN: 't',
    });
    await waitFor(async () => (await client.get(agent!.ports.admin, '/ready')).status === 200, 10_000, 'ready');
    const rules = nat();
    assert.not.match(rules, /--dport 1234/);
    assert.match(rules, /-A PREROUTING -p tcp -j DOCKMESH_INBOUND/);
    assert.match(rules, new RegExp(`-A DOCKMESH_INBOUND -p tcp -m tcp --dport ${app.port} -j REDIRECT --to-ports 15006`));
    assert.match(rules, /-A DOCKMESH_OUTPUT -m owner --uid-owner 1337 -j RETURN/);
    assert.match(rules, new RegExp(`-A DOCKMESH_OUTPUT -d ${PEER}/32 -p tcp -m tcp --dport 8080 -j REDIRECT --to-ports 15200`));
    assert.is(rules.match(/-j DOCKMESH_OUTPUT/g)!.length, 1);
    assert.equal(agent.ports.inbound, { [String(app.port)]: 15006 });
    assert.is(proxyChild(agent).uid, 1337);
    const report = await waitFor(() => control.reports.find((r) => r.ready), 5000, 'ready report');
    assert.equal(report.ports, [app.port]);
    assert.is(report.admin, `10.77.0.1:${agent.ports.admin}`);
    assert.is((await client.json(agent.ports.admin, '/stats')).captureInstalled, true);
  });

  test('outbound: traffic to a meshed endpoint goes through the agent, other destinations pass unchanged', async () => {
    const r = await fetch(`http://${PEER}:8080/captured`);
    const seen = await r.json();
    assert.is(seen.name, 'peer');
    assert.is(seen.headers['x-dockmesh-source-workload'], 'web');
    const direct = await (await fetch(`http://10.77.0.1:${app.port}/direct`)).json();
    assert.is(direct.name, 'app');
    assert.is(direct.headers['x-dockmesh-source-workload'], undefined);
  });

  test("inbound: a peer's connection to the app port is redirected to the agent, which strips x-dockmesh-*", async () => {
    // Async: the app answering lives in this process's event loop.
    const { stdout: out } = await execFileAsync('nsenter', [
      '-t', String(peerNs!.pid), '-n', 'curl', '-s', '-m', '5', '-H', 'x-dockmesh-source-workload: spoof',
      `http://10.77.0.1:${app.port}/inbound`,
    ]);
    const seen = JSON.parse(out);
    assert.is(seen.name, 'app');
    assert.is(seen.url, '/inbound');
    assert.is(seen.headers['x-dockmesh-source-workload'], undefined);
    assert.ok(seen.headers['x-request-id'], 'the inbound agent added x-request-id');
    const stats = await client.json(agent!.ports.admin, '/stats');
    assert.ok(stats.inbound.requests >= 1, JSON.stringify(stats));
  });

  test('a new app port gets the next inbound listener (15100) and is reported', async () => {
    app2 = await new EchoApp('app2').listen('0.0.0.0');
    await waitFor(() => nat().includes(`--dport ${app2!.port} -j REDIRECT --to-ports 15100`), 5000, 'rule for the new port');
    await waitFor(() => control.reports.some((r) => r.ports.includes(app2!.port)), 5000, 'report with the new port');
  });

  test('a new snapshot rebuilds DOCKMESH_OUTPUT atomically', async () => {
    control.push(webSnapshot(2, PEER2));
    await waitFor(() => control.acks.find((a) => a.version === 2 && a.ok), 5000, 'ACK 2');
    const rules = nat();
    assert.not.match(rules, new RegExp(`-d ${PEER}/32`));
    assert.match(rules, new RegExp(`-d ${PEER2}/32 -p tcp -m tcp --dport 8080 -j REDIRECT --to-ports 15200`));
    const seen = await (await fetch(`http://${PEER2}:8080/v2`)).json();
    assert.is(seen.headers['x-dockmesh-source-workload'], 'web');
  });

  test('SIGTERM removes every dockmesh rule and chain, exit 0', async () => {
    assert.is(await agent!.stop('SIGTERM'), 0);
    agent = undefined;
    assert.not.match(nat(), /DOCKMESH/);
  });

  test('a crashed proxy: the manager still removes every rule and exits non-zero', async () => {
    agent = await startAgent(['--capture', 'iptables'], {
      DOCKMESH_CONTROL_URL: control.url, DOCKMESH_CONTAINER: 'web-1', DOCKMESH_TOKEN: 't',
    });
    await waitFor(async () => (await client.get(agent!.ports.admin, '/ready')).status === 200, 10_000, 'ready');
    assert.match(nat(), /DOCKMESH_OUTPUT/);
    process.kill(proxyChild(agent).pid, 'SIGKILL');
    assert.is.not(await agent.exited, 0);
    agent = undefined;
    assert.not.match(nat(), /DOCKMESH/);
  });

  test.run();
}
