import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { agentSpec, staleReason, AGENT_LABELS } from '../../../control/injector/agent-spec.ts';
import { workload } from '../../support/workloads.ts';

const w = workload('api', { container: 'abc123', containerName: 'shop-api-1' });
const opts = { image: 'dockmesh/agent:h1', project: 'shop', controlUrl: 'http://10.0.0.9:15010', token: 't0k', tokenHash: 'h' };

test('agent shares the app namespace with NET_ADMIN, is labelled, and gets its bootstrap env', () => {
  const spec = agentSpec(w, opts) as any;
  assert.is(spec.name, 'shop-api-1-mesh-agent');
  assert.is(spec.HostConfig.NetworkMode, 'container:abc123');
  assert.equal(spec.HostConfig.CapAdd, ['NET_ADMIN']);
  assert.is(spec.HostConfig.RestartPolicy.Name, 'no');
  assert.is(spec.Labels['dockmesh.role'], 'agent');
  assert.is(spec.Labels['dockmesh.agent-for'], 'abc123');
  assert.ok(spec.Env.includes('DOCKMESH_CONTROL_URL=http://10.0.0.9:15010'));
  assert.ok(spec.Env.includes('DOCKMESH_TOKEN=t0k'));
  assert.ok(spec.Env.includes('DOCKMESH_CONTAINER=abc123'));
  assert.ok(spec.Env.includes('DOCKMESH_CAPTURE=iptables'));
});

test('with a CA the agent gets the control server\'s TLS URL and the roots to check it with', () => {
  const spec = agentSpec(w, { ...opts, controlUrl: 'https://10.0.0.9:15012', controlCa: 'PEM' }) as any;
  assert.ok(spec.Env.includes('DOCKMESH_CONTROL_URL=https://10.0.0.9:15012'));
  assert.ok(spec.Env.includes('DOCKMESH_CONTROL_CA=PEM'));
  assert.not.ok((agentSpec(w, opts) as any).Env.some((e: string) => e.startsWith('DOCKMESH_CONTROL_CA=')));
});

test('stale when not running, app restarted, or image changed', () => {
  const labels = (agentSpec(w, opts) as any).Labels as Record<string, string>;
  assert.is(staleReason({ labels, running: true }, w, opts.image), null);
  assert.is(staleReason({ labels, running: false }, w, opts.image), 'agent not running');
  assert.is(staleReason({ labels, running: true }, { ...w, startedAt: 'later' }, opts.image), 'app container restarted');
  assert.is(staleReason({ labels, running: true }, w, 'dockmesh/agent:h2'), 'agent image changed');
  assert.ok(AGENT_LABELS.appStarted in labels);
});

test.run();
