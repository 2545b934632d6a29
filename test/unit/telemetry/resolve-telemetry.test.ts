import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MeshObject, TelemetrySpec } from '../../../control/meshfile/mesh-spec.ts';
import { resolveTelemetry, tracingDirection, type TelemetryResolution } from '../../../control/compile/telemetry.ts';
import type { PolicyTarget } from '../../../control/compile/workload-selector.ts';
import { AccessLog } from '../../../agent/access-log.ts';
import { customTagAttributes } from '../../../agent/tracing/span-attributes.ts';

let line = 1;
function tel(name: string, namespace: string, spec: TelemetrySpec): MeshObject<TelemetrySpec> {
  return { kind: 'Telemetry', apiVersion: 'telemetry.istio.io/v1', name, namespace, file: 'mesh.yaml', line: line++, index: 0, spec };
}

const api: PolicyTarget = { namespace: 'default', labels: { app: 'api' } };
const web: PolicyTarget = { namespace: 'default', labels: { app: 'web' } };
const both = (o: TelemetryResolution['outbound'], i: TelemetryResolution['inbound'] = o) => ({ outbound: o, inbound: i });

type Case = [name: string, docs: MeshObject<TelemetrySpec>[], target: PolicyTarget, want: ReturnType<typeof both> | null];
const cases: Case[] = [
  ['none', [], api, null],
  ['mesh-wide sampling', [tel('m', 'istio-system', { tracing: [{ randomSamplingPercentage: 10 }] })], api, both({ samplingPercent: 10 })],
  ['a namespace-wide document of another namespace does not apply', [tel('n', 'prod', { tracing: [{ randomSamplingPercentage: 10 }] })], api, null],
  [
    'field by field: the namespace overrides the sampling, the mesh-wide disableSpanReporting stays',
    [tel('m', 'istio-system', { tracing: [{ randomSamplingPercentage: 10, disableSpanReporting: true }] }), tel('n', 'default', { tracing: [{ randomSamplingPercentage: 50 }] })],
    api,
    both({ samplingPercent: 50, disableSpanReporting: true }),
  ],
  [
    'the workload level wins over the namespace, for its own workload only',
    [tel('n', 'default', { tracing: [{ randomSamplingPercentage: 50 }] }), tel('w', 'default', { selector: { matchLabels: { app: 'api' } }, tracing: [{ randomSamplingPercentage: 1 }] })],
    api,
    both({ samplingPercent: 1 }),
  ],
  [
    'the workload level does not touch another workload',
    [tel('n', 'default', { tracing: [{ randomSamplingPercentage: 50 }] }), tel('w', 'default', { selector: { matchLabels: { app: 'api' } }, tracing: [{ randomSamplingPercentage: 1 }] })],
    web,
    both({ samplingPercent: 50 }),
  ],
  [
    'match.mode splits the directions (CLIENT: outbound, SERVER: inbound)',
    [tel('n', 'default', { tracing: [{ match: { mode: 'CLIENT' }, randomSamplingPercentage: 0 }, { match: { mode: 'SERVER' }, disableSpanReporting: true }], accessLogging: [{ match: { mode: 'SERVER' }, disabled: true }] })],
    api,
    both({ samplingPercent: 0 }, { disableSpanReporting: true, accessLogDisabled: true }),
  ],
  [
    'a later entry overrides an earlier one; false turns reporting back on',
    [tel('m', 'istio-system', { tracing: [{ disableSpanReporting: true }], accessLogging: [{ disabled: true }] }), tel('n', 'default', { tracing: [{ disableSpanReporting: false }], accessLogging: [{ match: { mode: 'CLIENT' }, disabled: false }] })],
    api,
    both({ disableSpanReporting: false, accessLogDisabled: false }, { disableSpanReporting: false, accessLogDisabled: true }),
  ],
  ['a selector in the root namespace is ignored', [tel('w', 'istio-system', { selector: { matchLabels: { app: 'api' } }, tracing: [{ randomSamplingPercentage: 5 }] })], api, null],
  [
    'two namespace-wide documents: the first in file order applies',
    [tel('a', 'default', { tracing: [{ randomSamplingPercentage: 20 }] }), tel('b', 'default', { tracing: [{ randomSamplingPercentage: 30 }] })],
    api,
    both({ samplingPercent: 20 }),
  ],
];

for (const [name, docs, target, want] of cases) {
  test(`telemetry: ${name}`, () => {
    const r = resolveTelemetry(target, docs);
    assert.is(r.applies, want !== null);
    if (want) assert.equal({ outbound: r.outbound, inbound: r.inbound }, want);
  });
}

test('the snapshot direction: the mesh-wide percentage unless set; reported unless disabled', () => {
  assert.equal(tracingDirection({}, 100), { samplingPercent: 100, report: true });
  assert.equal(tracingDirection({ samplingPercent: 0, disableSpanReporting: true }, 100), { samplingPercent: 0, report: false });
});

test('custom tags: the last set replaces the whole map; literal, environment and header tags (lower-cased) reach the snapshot', () => {
  const r = resolveTelemetry(api, [
    tel('m', 'istio-system', { tracing: [{ customTags: { old: { literal: { value: 'x' } } } }] }),
    tel('n', 'default', { tracing: [{ match: { mode: 'SERVER' }, customTags: { team: { literal: { value: 'pay' } }, host: { environment: { name: 'HOSTNAME', defaultValue: '?' } }, user: { header: { name: 'X-User' } } } }] }),
  ]);
  assert.equal(tracingDirection(r.inbound, 100).tags, { host: { environment: 'HOSTNAME', defaultValue: '?' }, team: { literal: 'pay' }, user: { header: 'x-user' } });
  assert.equal(tracingDirection(r.outbound, 100).tags, { old: { literal: 'x' } });
});

test('enableIstioTags: false for one direction drops the istio.* attributes of its spans only; the last level that sets it wins', async () => {
  const r = resolveTelemetry(api, [
    tel('m', 'istio-system', { tracing: [{ enableIstioTags: false }] }),
    tel('n', 'default', { tracing: [{ match: { mode: 'SERVER' }, enableIstioTags: true }] }),
  ]);
  assert.is(tracingDirection(r.outbound, 100).istioTags, false);
  assert.is(tracingDirection(r.inbound, 100).istioTags, undefined, 'true is the default: not written');
  const { Tracer } = await import('../../../agent/tracing/tracer.ts');
  const tracer = new Tracer({ settings: { endpoint: 'http://127.0.0.1:9/v1/traces', protocol: 'http/protobuf', samplingPercent: 100, outbound: tracingDirection(r.outbound, 100), inbound: tracingDirection(r.inbound, 100) }, send: async () => {} });
  tracer.setIdentity({ service: 'api', namespace: 'default', workload: 'api', container: 'c', containerName: 'api-1', labels: {} } as never, '10.0.0.3');
  const keys = (attrs: readonly unknown[]) => attrs.filter((_, i) => i % 2 === 0);
  assert.not.ok(keys(tracer.common).some((k) => String(k).startsWith('istio.')), 'CLIENT spans: none');
  assert.ok(keys(tracer.common).includes('node_id'), 'the other shared attributes stay');
  assert.equal(keys(tracer.serverCommon).filter((k) => String(k).startsWith('istio.')), ['istio.canonical_service', 'istio.canonical_revision', 'istio.namespace', 'istio.mesh_id']);
  await tracer.close();
});

test('custom tag attributes: by name; an unset variable takes its default, or is left out', () => {
  const attrs = customTagAttributes({ z: { literal: 'last' }, a: { environment: 'A' }, b: { environment: 'B', defaultValue: 'dflt' }, c: { environment: 'C' } }, { A: 'from-env' });
  assert.equal(attrs, ['a', 'from-env', 'b', 'dflt', 'z', 'last']);
});

test('access-log entries for another provider than envoy are left out; envoy or no provider apply', () => {
  const r = resolveTelemetry(api, [
    tel('n', 'default', { accessLogging: [{ providers: [{ name: 'otel' }], disabled: true }, { providers: [{ name: 'envoy' }, { name: 'otel' }], match: { mode: 'SERVER' }, filter: { expression: 'response.code >= 500' } }] }),
  ]);
  assert.equal([r.outbound.accessLogDisabled, r.inbound.accessLogDisabled, r.inbound.accessLogFilter], [undefined, undefined, 'response.code >= 500']);
});

test('access log directions: the snapshot turns a direction off, never on against --access-log off', () => {
  const on = new AccessLog(true);
  on.setDirections({ inbound: false, outbound: true });
  assert.equal([on.logs('inbound'), on.logs('outbound')], [false, true]);
  on.setDirections(undefined);
  assert.equal([on.logs('inbound'), on.logs('outbound')], [true, true]);
  const off = new AccessLog(false);
  off.setDirections({ inbound: true, outbound: true });
  assert.equal([off.logs('inbound'), off.logs('outbound')], [false, false]);
});

test('tracing disableContextPropagation (Istio 1.30) loads with a warning: the agents still propagate the trace context', async () => {
  const { loadMeshfile } = await import('../../../control/meshfile/load-meshfile.ts');
  const text = 'apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: t, namespace: istio-system}\nspec:\n  tracing:\n  - disableContextPropagation: true\n';
  const r = loadMeshfile(text, 'mesh.yaml');
  assert.ok(r.valid);
  assert.equal(r.diagnostics.map((d) => `${d.code} ${d.path}`), ['MESH_WARN_UNSUPPORTED_FIELD spec.tracing[0].disableContextPropagation']);
});

test.run();
