import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { wrkArgs } from '../../../bench/load/wrk.ts';
import { parseListening } from '../../../bench/targets/agent.ts';
import { envFromDockerfile, nodeFlagsFromDockerfile } from '../../../bench/targets/image-entrypoint.ts';
import { clientSnapshot, serverSnapshot } from '../../../bench/targets/agent-snapshot.ts';
import { haproxyConfig } from '../../../bench/targets/haproxy-config.ts';
import { nginxConfig } from '../../../bench/targets/nginx-config.ts';

test('nginx.conf: 1 worker, upstream keepalive, no access log, loopback only', () => {
  const c = nginxConfig({ listenPort: 8081, upstreamPort: 9000, dir: '/tmp/n' });
  for (const want of ['worker_processes 1;', 'access_log off;', 'keepalive 64;', 'server 127.0.0.1:9000;', 'listen 127.0.0.1:8081;', 'proxy_http_version 1.1;', 'proxy_set_header Connection "";', 'pid /tmp/n/nginx.pid;']) {
    assert.ok(c.includes(want), want);
  }
});

test('haproxy.cfg: 1 thread, http mode, keep-alive, loopback only', () => {
  const c = haproxyConfig({ listenPort: 8082, upstreamPort: 9000 });
  for (const want of ['nbthread 1', 'mode http', 'option http-keep-alive', 'bind 127.0.0.1:8082', 'server up 127.0.0.1:9000']) assert.ok(c.includes(want), want);
});

test('client snapshot, one hop: endpoint is the upstream, not meshed, no dial', () => {
  const s = clientSnapshot({ upstreamPort: 9000 });
  const svc = s.services[0]!;
  assert.equal([svc.name, svc.hosts, svc.ports], ['up', ['up'], [9000]]);
  assert.equal(svc.endpoints, [{ container: 'up', workload: 'up', address: '127.0.0.1', port: 9000, meshed: false, labels: {} }]);
  assert.is(s.version, 1);
  assert.match(s.hash, /^[0-9a-f]{64}$/);
});

test('client snapshot, pair: endpoint meshed and dialled at the server agent', () => {
  const e = clientSnapshot({ upstreamPort: 9000, serverAgent: { address: '127.0.0.1', port: 15006 } }).services[0]!.endpoints[0]!;
  assert.is(e.meshed, true);
  assert.equal(e.dial, { address: '127.0.0.1', port: 15006 });
  assert.is(e.port, 9000);
});

test('server snapshot: self is up, no services; hashes differ', () => {
  const s = serverSnapshot();
  assert.is(s.self.workload, 'up');
  assert.equal(s.services, []);
  assert.is.not(s.hash, clientSnapshot({ upstreamPort: 9000 }).hash);
});

test('parseListening: the agent\'s ready line, nothing else', () => {
  assert.equal(parseListening('{"msg":"listening","admin":41000,"inbound":{},"outbound":{"up:9000":41001}}'), {
    admin: 41000,
    inbound: {},
    outbound: { 'up:9000': 41001 },
  });
  assert.is(parseListening('{"msg":"snapshot applied","version":1}'), undefined);
  assert.is(parseListening('listening'), undefined);
  assert.is(parseListening('{"msg":"listening"'), undefined);
});

test('nodeFlagsFromDockerfile: flags between node and the script', () => {
  const cases: Array<[string, string[]]> = [
    ['ENTRYPOINT ["node", "/opt/dockmesh/agent.mjs"]', []],
    ['ENTRYPOINT ["node", "--max-old-space-size=64", "--max-semi-space-size=2", "/opt/dockmesh/agent.mjs"]', ['--max-old-space-size=64', '--max-semi-space-size=2']],
    ['FROM x\nENTRYPOINT ["/usr/local/bin/node", "--jitless", "/a.mjs", "--flag"]', ['--jitless']],
    ['ENTRYPOINT node /opt/dockmesh/agent.mjs', []],
    ['ENTRYPOINT ["tini", "--", "node", "/a.mjs"]', []],
    ['', []],
  ];
  for (const [text, want] of cases) assert.equal(nodeFlagsFromDockerfile(text), want, text);
});

test('envFromDockerfile: what the ENV lines set, later ones winning', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['FROM x\nENV MALLOC_ARENA_MAX=2\nENTRYPOINT ["node", "/a.mjs"]', { MALLOC_ARENA_MAX: '2' }],
    ['ENV A=1 B="two words" C=', { A: '1', B: 'two words', C: '' }],
    ['env A=1\nENV A=3', { A: '3' }],
    ['ENV LEGACY some value', { LEGACY: 'some value' }],
    ['# ENV NOT=this\nRUN ENV=x', {}],
    ['', {}],
  ];
  for (const [text, want] of cases) assert.equal(envFromDockerfile(text), want, text);
});

test('wrkArgs: threads capped by connections, whole seconds, Host and close headers, loopback URL', () => {
  const a = wrkArgs({ port: 8080, host: 'up', connections: 1, threads: 2, durationS: 2.6, closeEach: true });
  assert.equal(a.slice(0, 6), ['-t', '1', '-c', '1', '-d', '3s']);
  assert.ok(a.includes('Host: up'));
  assert.ok(a.includes('Connection: close'));
  assert.is(a.at(-1), 'http://127.0.0.1:8080/');
  const b = wrkArgs({ port: 8080, host: 'up', connections: 50, threads: 1, durationS: 0.2, closeEach: false });
  assert.equal(b.slice(0, 6), ['-t', '1', '-c', '50', '-d', '1s']);
  assert.not.ok(b.includes('Connection: close'));
});

test.run();
