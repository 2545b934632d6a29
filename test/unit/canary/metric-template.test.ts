/**
 * Flagger's custom metrics: a MetricTemplate's query rendered as Flagger renders it (its own
 * render tests' cases), the value read from Prometheus' answer, the check against the metric's range.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { queryValue, renderQuery, type TemplateModel } from '../../../control/canary/metric-template.ts';
import { checkTemplateMetric } from '../../../control/canary/canary-metrics.ts';

const MODEL: TemplateModel = { name: 'standard', namespace: 'default', target: 'myapp', service: 'myapp', ingress: 'myapp', interval: '1m', variables: {} };

test('render: the model\'s fields, with or without spaces inside the braces', () => {
  assert.is(renderQuery('sum(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{target}}"})', MODEL), 'sum(envoy_cluster_upstream_rq{envoy_cluster_name=~"default_myapp"})');
  assert.is(renderQuery('{{ name }} {{ service }} {{ ingress }} [{{ interval }}]', MODEL), 'standard myapp myapp [1m]');
});

test('render: {{ variables.<key> }} from templateVariables; a missing key fails', () => {
  const m = { ...MODEL, variables: { cluster: 'dev', consumer_group: 'my_consumer' } };
  assert.is(
    renderQuery('delta(max by (consumer_group) (kafka_consumer_current_offset{cluster="{{ variables.cluster }}", consumer_group="{{ variables.consumer_group }}"}[{{ interval }}]))', m),
    'delta(max by (consumer_group) (kafka_consumer_current_offset{cluster="dev", consumer_group="my_consumer"}[1m]))',
  );
  assert.throws(() => renderQuery('x{cluster="{{ variables.cluster }}"}', { ...MODEL, variables: { invalid: 'dev' } }), /templateVariables has no "cluster"/);
  assert.throws(() => renderQuery('x{a="{{ .Target }}"}', MODEL), /"\{\{ \.Target \}\}" is not a template variable/);
});

test('value: the last sample of a vector, a scalar; none, or NaN, is no value', () => {
  const vector = (...values: string[]) => ({ status: 'success', data: { resultType: 'vector', result: values.map((v) => ({ metric: {}, value: [1700000000, v] })) } });
  assert.is(queryValue(vector('2.5')), 2.5);
  assert.is(queryValue(vector('1', '7')), 7);
  assert.is(queryValue(vector()), undefined);
  assert.is(queryValue(vector('NaN')), undefined);
  assert.is(queryValue(vector('+Inf')), Infinity);
  assert.is(queryValue({ status: 'success', data: { resultType: 'scalar', result: [1700000000, '4'] } }), 4);
  assert.is(queryValue({ status: 'error' }), undefined);
});

test('check: thresholdRange bounds inclusive; without one Flagger fails a value above threshold (default 0); no value or an error fails', () => {
  assert.equal(checkTemplateMetric({ name: 'p99', thresholdRange: { max: 500 } }, { value: 500 }), { metric: 'p99', value: 500, max: 500, ok: true });
  assert.is(checkTemplateMetric({ name: 'p99', thresholdRange: { max: 500 } }, { value: 501 }).ok, false);
  assert.is(checkTemplateMetric({ name: 'rate', thresholdRange: { min: 99 } }, { value: 98 }).ok, false);
  assert.equal(checkTemplateMetric({ name: 'errors' }, { value: 0 }), { metric: 'errors', value: 0, max: 0, ok: true });
  assert.is(checkTemplateMetric({ name: 'errors' }, { value: 1 }).ok, false);
  assert.is(checkTemplateMetric({ name: 'errors', threshold: 5 }, { value: 4 }).ok, true);
  assert.is(checkTemplateMetric({ name: 'errors', thresholdRange: { max: 5 } }, { value: undefined }).ok, false);
  assert.equal(checkTemplateMetric({ name: 'errors', thresholdRange: { max: 5 } }, { error: 'query failed: timeout' }), { metric: 'errors', value: undefined, max: 5, ok: false, error: 'query failed: timeout' });
});

test.run();
