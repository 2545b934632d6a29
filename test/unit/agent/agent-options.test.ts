import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAgentOptions } from '../../../agent/agent-options.ts';

test('defaults and environment', () => {
  const o = parseAgentOptions([], {
    DOCKMESH_CONTROL_URL: 'http://control:15010', DOCKMESH_TOKEN: 't', DOCKMESH_CONTAINER: 'abc', DOCKMESH_CAPTURE: 'iptables',
    DOCKMESH_ADMIN_PORT: '15021',
  });
  assert.equal(
    { capture: o.capture, url: o.controlUrl, token: o.token, container: o.container, admin: o.adminPort, bind: o.bind, log: o.accessLog, metrics: o.metrics },
    { capture: 'iptables', url: 'http://control:15010', token: 't', container: 'abc', admin: 15021, bind: '127.0.0.1', log: true, metrics: true },
  );
});

test('flags win over environment; repeatable listeners', () => {
  const o = parseAgentOptions(
    ['--capture', 'none', '--snapshot', 's.json', '--admin-port', '0', '--inbound', '8080=0', '--inbound', '9090=15100',
      '--outbound', 'API:8080=0', '--access-log', 'off', '--metrics', 'off', '--app-host', '10.0.0.1'],
    { DOCKMESH_CAPTURE: 'iptables' },
  );
  assert.is(o.capture, 'none');
  assert.is(o.adminPort, 0);
  assert.equal(o.inbound, [{ appPort: 8080, listenPort: 0 }, { appPort: 9090, listenPort: 15100 }]);
  assert.equal(o.outbound, [{ host: 'api', port: 8080, listenPort: 0 }]);
  assert.is(o.accessLog, false);
  assert.is(o.metrics, false);
  assert.is(o.appHost, '10.0.0.1');
});

test('tracing flags: endpoint with the default sampling and encoding, or a percentage and JSON', () => {
  assert.is(parseAgentOptions(['--snapshot', 's'], {}).tracing, undefined, 'off by default');
  const on = parseAgentOptions(['--snapshot', 's', '--tracing-endpoint', 'http://127.0.0.1:4318/v1/traces'], {});
  assert.equal(on.tracing, { endpoint: 'http://127.0.0.1:4318/v1/traces', samplingPercent: 100, protocol: 'http/protobuf' });
  const some = parseAgentOptions(['--snapshot', 's', '--tracing-sampling', '2.5', '--tracing-protocol', 'http/json', '--tracing-endpoint', 'https://otel:4318/v1/traces'], {});
  assert.equal(some.tracing, { endpoint: 'https://otel:4318/v1/traces', samplingPercent: 2.5, protocol: 'http/json' });
});

test('upstream client: h1 by default; undici by flag or environment, the flag winning', () => {
  assert.is(parseAgentOptions(['--snapshot', 's'], {}).upstreamClient, 'h1');
  assert.is(parseAgentOptions(['--snapshot', 's'], { DOCKMESH_UPSTREAM_CLIENT: 'undici' }).upstreamClient, 'undici');
  assert.is(parseAgentOptions(['--snapshot', 's', '--upstream-client', 'h1'], { DOCKMESH_UPSTREAM_CLIENT: 'undici' }).upstreamClient, 'h1');
});

test('an https control URL takes its CA from --control-ca or DOCKMESH_CONTROL_CA', () => {
  const fromFlag = parseAgentOptions(['--control-url', 'https://10.0.0.2:15012', '--container', 'c', '--control-ca', '/run/ca.pem'], {});
  assert.is(fromFlag.controlCaFile, '/run/ca.pem');
  const fromEnv = parseAgentOptions([], { DOCKMESH_CONTROL_URL: 'https://10.0.0.2:15012', DOCKMESH_CONTAINER: 'c', DOCKMESH_CONTROL_CA: '-----BEGIN CERTIFICATE-----\n' });
  assert.is(fromEnv.controlCa, '-----BEGIN CERTIFICATE-----\n');
});

const errors: Array<[string, string[], RegExp]> = [
  ['bad upstream client', ['--snapshot', 's', '--upstream-client', 'curl'], /h1 or undici/],
  ['no snapshot source', [], /--control-url/],
  ['control without container', ['--control-url', 'http://x'], /--container/],
  ['https control without its CA', ['--control-url', 'https://10.0.0.2:15012', '--container', 'c'], /needs --control-ca FILE \(or DOCKMESH_CONTROL_CA\)/],
  ['control URL not http(s)', ['--control-url', '10.0.0.2:15012', '--container', 'c'], /http\(s\) URL/],
  ['bad capture', ['--snapshot', 's', '--capture', 'ebpf'], /none or iptables/],
  ['bad inbound', ['--snapshot', 's', '--inbound', '8080'], /APPPORT=LISTENPORT/],
  ['bad outbound', ['--snapshot', 's', '--outbound', 'api=1'], /HOST:PORT=LISTENPORT/],
  ['bad port', ['--snapshot', 's', '--admin-port', '99999'], /not a port/],
  ['unknown flag', ['--snapshot', 's', '--frobnicate', '1'], /unknown flag/],
  ['missing value', ['--snapshot'], /needs a value/],
  ['tracing endpoint not http', ['--snapshot', 's', '--tracing-endpoint', 'grpc://otel:4317'], /http\(s\) URL/],
  ['sampling out of range', ['--snapshot', 's', '--tracing-endpoint', 'http://o/v1/traces', '--tracing-sampling', '101'], /0-100/],
  ['sampling without endpoint', ['--snapshot', 's', '--tracing-sampling', '10'], /needs --tracing-endpoint/],
  ['protocol not an OTLP/HTTP encoding', ['--snapshot', 's', '--tracing-endpoint', 'http://o/v1/traces', '--tracing-protocol', 'grpc'], /http\/protobuf or http\/json/],
  ['protocol without endpoint', ['--snapshot', 's', '--tracing-protocol', 'http/json'], /needs --tracing-endpoint/],
];
for (const [name, argv, want] of errors) {
  test(`usage error: ${name}`, () => {
    try {
      parseAgentOptions(argv, {});
      assert.unreachable('should throw');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'AGENT_ERR_USAGE');
      assert.match((err as Error).message, want);
    }
  });
}

test.run();
