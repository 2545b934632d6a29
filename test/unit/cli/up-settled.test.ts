import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { notSettled } from '../../../cli/commands/up.ts';
import type { AgentStatusView, StatusView } from '../../../wire/types.ts';

function agent(name: string, over: Partial<AgentStatusView> = {}): AgentStatusView {
  return { service: name, container: `id-${name}`, containerName: `proj-${name}-1`, ready: true, configVersion: 4, desiredVersion: 4, ports: [8080], connected: true, ...over };
}

function status(agents: AgentStatusView[], pushPending?: boolean): StatusView {
  return { control: { project: 'proj', version: '0.1.0', uptimeSeconds: 3, api: 'http://127.0.0.1:1' }, configVersion: 4, agents, ...(pushPending === undefined ? {} : { pushPending }) };
}

test('mesh up is done when every agent is ready and runs the newest snapshot sent to it', () => {
  assert.equal(notSettled(status([agent('web'), agent('api')], false)), []);
  assert.equal(notSettled(status([agent('web')])), [], 'an older control server without pushPending');
});

test('an agent not ready, or ready on an older snapshot, keeps mesh up waiting, named with why', () => {
  assert.equal(notSettled(status([agent('web', { ready: false, reason: 'no workload certificate yet' }), agent('api')])), ['proj-web-1 (no workload certificate yet)']);
  assert.equal(notSettled(status([agent('web'), agent('api', { configVersion: 3, desiredVersion: 4 })])), ['proj-api-1 (config v3, v4 sent)']);
});

test('events the control server has not compiled yet keep mesh up waiting', () => {
  assert.equal(notSettled(status([agent('web')], true)), ["the control server (agents' events not pushed yet)"]);
});

test('an agent that rejected its newest snapshot runs its last good one: settled (mesh status shows the NACK)', () => {
  assert.equal(notSettled(status([agent('api', { configVersion: 3, desiredVersion: 4, lastNack: 'v4: bad route' })])), []);
  assert.equal(notSettled(status([agent('api', { configVersion: 2, desiredVersion: 4, lastNack: 'v3: bad route' })])), ['proj-api-1 (config v2, v4 sent)'], 'an older NACK does not count');
});

test.run();
