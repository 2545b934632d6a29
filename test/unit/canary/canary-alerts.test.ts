import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { alertFields, alertFor, alertRequest, initializedAlert, wants } from '../../../control/canary/canary-alerts.ts';
import { initialState, TRAFFIC_INCREASE_WAIT, type CanaryState } from '../../../control/canary/canary-analysis.ts';
import type { CanarySpec } from '../../../control/meshfile/canary-spec.ts';

const spec = (analysis: Partial<CanarySpec['analysis']> = {}, more: Partial<CanarySpec> = {}): CanarySpec => ({
  targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
  service: { port: 9898 },
  analysis: { interval: '1m', threshold: 5, stepWeight: 10, maxWeight: 50, ...analysis },
  ...more,
});
const s0 = initialState(0);
const at = (patch: Partial<CanaryState>): CanaryState => ({ ...s0, ...patch });

test('alertFor: Flagger\'s alert points, messages and severities', () => {
  const progressing = at({ phase: 'Progressing', revision: 'c1' });
  assert.equal(alertFor(spec(), s0, progressing, false), { message: 'New revision detected, progressing canary analysis.', severity: 'info', metadata: true });
  assert.equal(alertFor(spec(), at({ phase: 'Waiting' }), progressing, false)?.message, 'New revision detected, progressing canary analysis.', 'after a confirm-rollout gate opened');
  assert.is(alertFor(spec(), at({ phase: 'Progressing', revision: 'c0', canaryWeight: 20 }), progressing, false), undefined, 'a restart is an event, not an alert');
  assert.is(alertFor(spec(), progressing, { ...progressing, canaryWeight: 10 }, false), undefined, 'a step is not an alert');
  assert.equal(alertFor(spec(), at({ phase: 'Promoting', revision: 'c1' }), at({ phase: 'Succeeded', revision: 'c1' }), false), { message: 'Canary analysis completed successfully, promotion finished.', severity: 'info', metadata: false });
  assert.equal(alertFor(spec({}, { skipAnalysis: true }), progressing, at({ phase: 'Succeeded', revision: 'c1' }), false)?.message, 'Canary analysis was skipped, promotion finished.');
  assert.equal(alertFor(spec(), at({ phase: 'Progressing', revision: 'c1', failedChecks: 5 }), at({ phase: 'Failed', revision: 'c1', failedChecks: 5, failure: 'threshold' }), false), { message: 'Failed checks threshold reached 5', severity: 'error', metadata: false });
  assert.equal(alertFor(spec(), progressing, at({ phase: 'Failed', revision: 'c1', failure: 'rollback-webhook' }), false), { message: 'Rolling back manual webhook invoked', severity: 'warn', metadata: false });
  const deadline = alertFor(spec(), progressing, at({ phase: 'Failed', revision: 'c1', failure: 'deadline', message: 'the canary\'s agents were not ready within progressDeadlineSeconds (600 s)' }), false)!;
  assert.equal([deadline.severity, deadline.message], ['error', 'Progress deadline exceeded: the canary\'s agents were not ready within progressDeadlineSeconds (600 s)']);
  assert.is(alertFor(spec(), at({ phase: 'Failed', failure: 'threshold' }), at({ phase: 'Failed', failure: 'threshold' }), false), undefined, 'once');
});

test('alertFor: waiting for approval (warn), once per wait except the traffic-increase gate, and not when the gate has muteAlert', () => {
  const progressing = at({ phase: 'Progressing', revision: 'c1' });
  assert.equal(alertFor(spec(), s0, at({ phase: 'Waiting' }), false), { message: 'Canary is waiting for approval.', severity: 'warn', metadata: false });
  assert.is(alertFor(spec(), at({ phase: 'Waiting' }), at({ phase: 'Waiting' }), false), undefined);
  assert.equal(alertFor(spec(), progressing, at({ phase: 'WaitingPromotion', revision: 'c1' }), false)?.message, 'Canary promotion is waiting for approval.');
  assert.is(alertFor(spec(), at({ phase: 'WaitingPromotion', revision: 'c1' }), at({ phase: 'WaitingPromotion', revision: 'c1' }), false), undefined);
  const held = at({ phase: 'Progressing', revision: 'c1', message: TRAFFIC_INCREASE_WAIT });
  assert.equal(alertFor(spec(), held, held, false)?.message, 'Canary traffic increase is waiting for approval.', 'at every interval');
  assert.is(alertFor(spec(), s0, at({ phase: 'Waiting' }), true), undefined);
  assert.is(alertFor(spec(), held, held, true), undefined);
});

test('severity: info (and the default) gets everything, warn gets warn and error, error only errors', () => {
  const row = (wanted: '' | 'info' | 'warn' | 'error' | undefined) => (['info', 'warn', 'error'] as const).map((s) => wants(wanted, s));
  assert.equal([row(undefined), row(''), row('info'), row('warn'), row('error')], [
    [true, true, true],
    [true, true, true],
    [true, true, true],
    [false, true, true],
    [false, false, true],
  ]);
});

test('fields: the project as Cluster, and the Canary\'s settings on the alerts that carry them', () => {
  const doc = { spec: spec(), namespace: 'test' };
  assert.equal(alertFields(doc, initializedAlert(doc.spec), 'shop'), [
    { name: 'Cluster', value: 'shop' },
    { name: 'Target', value: 'Deployment/podinfo.test' },
    { name: 'Failed checks threshold', value: '5' },
    { name: 'Progress deadline', value: '600s' },
    { name: 'Traffic routing', value: 'Weight step: 10 max: 50' },
  ]);
  assert.equal(alertFields(doc, { message: 'x', severity: 'error', metadata: false }), []);
  const routing = (a: Partial<CanarySpec['analysis']>) => alertFields({ spec: spec({ stepWeight: undefined, maxWeight: undefined, ...a }, { progressDeadlineSeconds: 60 }), namespace: 'test' }, initializedAlert(spec())).slice(2);
  assert.equal(routing({ stepWeights: [1, 5, 10], maxWeight: 10 }), [{ name: 'Progress deadline', value: '60s' }, { name: 'Traffic routing', value: 'Weight steps: 1,5,10 max: 10' }]);
  assert.equal(routing({ iterations: 10, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] })[1], { name: 'Traffic routing', value: 'A/B Testing' });
  assert.equal(routing({ iterations: 10 })[1], { name: 'Traffic routing', value: 'Blue/Green' });
});

test('payloads: Flagger\'s notifiers (Slack attachments, Discord\'s /slack endpoint, Rocket colours, a Teams MessageCard, Google Chat cards)', () => {
  const canary = { name: 'podinfo', namespace: 'test' };
  const fields = [{ name: 'Target', value: 'Deployment/podinfo.test' }];
  const slack = alertRequest({ type: 'slack', address: 'https://hooks.slack.com/services/X', channel: 'on-call' }, canary, 'New revision detected, progressing canary analysis.', fields, 'info');
  assert.equal(slack, {
    url: 'https://hooks.slack.com/services/X',
    body: {
      channel: 'on-call',
      username: 'flagger',
      icon_url: '',
      icon_emoji: ':rocket:',
      attachments: [{ color: 'good', author_name: 'podinfo.test', text: 'New revision detected, progressing canary analysis.', mrkdwn_in: ['text'], fields: [{ title: 'Target', value: 'Deployment/podinfo.test', short: false }] }],
    },
  });
  const bad = alertRequest({ type: 'slack', address: 'https://x/' }, canary, 'm', [], 'error').body as { channel: string; attachments: Array<{ color: string; fields: unknown[] }> };
  assert.equal([bad.channel, bad.attachments[0]!.color, bad.attachments[0]!.fields], ['general', 'danger', []]);
  assert.is((alertRequest({ type: 'slack', address: 'https://x/' }, canary, 'm', [], 'warn').body as { attachments: Array<{ color: string }> }).attachments[0]!.color, 'good');
  assert.is(alertRequest({ type: 'discord', address: 'https://discord.com/api/webhooks/1/abc' }, canary, 'm', [], 'info').url, 'https://discord.com/api/webhooks/1/abc/slack');
  assert.is(alertRequest({ type: 'discord', address: 'https://discord.com/api/webhooks/1/abc/slack' }, canary, 'm', [], 'info').url, 'https://discord.com/api/webhooks/1/abc/slack');
  assert.is(alertRequest({ type: 'discord', address: 'https://discord.com/api/webhooks/1/abc/?wait=true' }, canary, 'm', [], 'info').url, 'https://discord.com/api/webhooks/1/abc/slack?wait=true');
  const rocket = (sev: 'info' | 'error') => (alertRequest({ type: 'rocket', address: 'https://r/hooks/x' }, canary, 'm', [], sev).body as { attachments: Array<{ color: string }> }).attachments[0]!.color;
  assert.equal([rocket('info'), rocket('error')], ['#0076D7', '#FF0000']);
  assert.equal(alertRequest({ type: 'msteams', address: 'https://outlook.office.com/webhook/x' }, canary, 'Failed checks threshold reached 5', fields, 'error').body, {
    '@type': 'MessageCard',
    '@context': 'http://schema.org/extensions',
    themeColor: 'FF0000',
    summary: 'podinfo.test',
    sections: [{ activityTitle: 'Failed checks threshold reached 5', activitySubtitle: 'podinfo.test', facts: [{ name: 'Target', value: 'Deployment/podinfo.test' }] }],
  });
  assert.equal(alertRequest({ type: 'gchat', address: 'https://chat.googleapis.com/v1/spaces/x' }, canary, 'm', fields, 'error').body, {
    cards: [
      {
        header: { title: 'Flagger', subtitle: 'podinfo.test', imageUrl: 'https://flagger.app/favicon.png' },
        sections: [
          { widgets: [{ textParagraph: { text: '<font color=#848484><strong>m</strong></font>' } }] },
          { widgets: [{ textParagraph: { text: 'Target<br><font color=#848484><strong>Deployment/podinfo.test</strong></font>' } }] },
        ],
      },
    ],
  });
});

test.run();
