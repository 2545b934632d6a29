import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateSnapshot } from '../../../agent/validate-snapshot.ts';
import { endpoint, service, snapshot } from './snapshot-fixture.ts';

const good = () => snapshot(3, 'web', [service('api', [8080], [endpoint('api', '172.18.0.4', 8080), endpoint('api', '172.18.0.5', 8080, 19001)])]);

test('a well-formed snapshot passes', () => {
  const r = validateSnapshot(good());
  assert.ok(r.ok);
});

test('optional ready flag is accepted', () => {
  const s = good();
  s.services[0]!.endpoints[0]!.ready = false;
  assert.ok(validateSnapshot(s).ok);
});

test('optional tracing settings are accepted', () => {
  const s = good();
  s.mesh.tracing = { endpoint: 'http://jaeger:4318/v1/traces', samplingPercent: 10 };
  assert.ok(validateSnapshot(s).ok, 'without a protocol (an older control server)');
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    s.mesh.tracing = { endpoint: 'http://jaeger:4318/v1/traces', samplingPercent: 10, protocol };
    assert.ok(validateSnapshot(s).ok, protocol);
  }
});

const bad: Array<[string, (s: any) => unknown, RegExp, number]> = [
  ['not an object', () => 'nope', /\$: expected an object/, 0],
  ['version missing', (s) => { delete s.version; return s; }, /\$\.version/, 0],
  ['negative version', (s) => { s.version = -1; return s; }, /\$\.version/, 0],
  ['self missing', (s) => { delete s.self; return s; }, /\$\.self/, 3],
  ['services not an array', (s) => { s.services = {}; return s; }, /\$\.services: expected an array/, 3],
  ['endpoint address not an IP', (s) => { s.services[0].endpoints[0].address = 'api'; return s; }, /endpoints\[0\]\.address/, 3],
  ['endpoint port out of range', (s) => { s.services[0].endpoints[1].port = 70000; return s; }, /endpoints\[1\]\.port/, 3],
  ['dial without port', (s) => { s.services[0].endpoints[1].dial = { address: '127.0.0.1' }; return s; }, /endpoints\[1\]\.dial/, 3],
  ['meshed not boolean', (s) => { s.services[0].endpoints[0].meshed = 'yes'; return s; }, /meshed/, 3],
  ['labels not strings', (s) => { s.services[0].endpoints[0].labels = { v: 2 }; return s; }, /labels/, 3],
  ['duplicate service', (s) => { s.services.push(s.services[0]); return s; }, /duplicate service api\.default/, 3],
  ['excludedPorts missing', (s) => { s.mesh = {}; return s; }, /excludedPorts/, 3],
  ['tracing endpoint not http(s)', (s) => { s.mesh.tracing = { endpoint: 'jaeger:4317', samplingPercent: 1 }; return s; }, /\$\.mesh\.tracing/, 3],
  ['tracing sampling over 100', (s) => { s.mesh.tracing = { endpoint: 'http://j/v1/traces', samplingPercent: 150 }; return s; }, /\$\.mesh\.tracing/, 3],
  ['tracing protocol not an OTLP/HTTP encoding', (s) => { s.mesh.tracing = { endpoint: 'http://j/v1/traces', samplingPercent: 1, protocol: 'grpc' }; return s; }, /\$\.mesh\.tracing\.protocol: expected http\/protobuf or http\/json/, 3],
  ['hosts with an empty name', (s) => { s.services[0].hosts = ['']; return s; }, /hosts/, 3],
];

for (const [name, mutate, want, version] of bad) {
  test(`rejects: ${name}`, () => {
    const r = validateSnapshot(mutate(good()));
    assert.not.ok(r.ok);
    if (r.ok) return;
    assert.match(r.error, want);
    assert.is(r.version, version);
  });
}

test('reports several problems at once', () => {
  const s: any = good();
  s.hash = 1;
  s.services[0].ports = ['x'];
  const r = validateSnapshot(s);
  assert.not.ok(r.ok);
  if (!r.ok) {
    assert.match(r.error, /\$\.hash/);
    assert.match(r.error, /\$\.services\[0\]\.ports/);
  }
});

test.run();
