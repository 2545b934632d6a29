import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { profileOutDir, targetOfProcess } from '../../../bench/profile/profile-run.ts';

test('--profile writes to bench/profiles by default, else to --out (relative to the repository, or absolute)', () => {
  assert.is(profileOutDir('/repo', 'bench'), '/repo/bench/profiles');
  assert.is(profileOutDir('/repo', 'out/p'), '/repo/out/p');
  assert.is(profileOutDir('/repo', '/tmp/prof'), '/tmp/prof');
});

test('a profiled process is matched to its own target, not to a target whose id its name starts with', () => {
  const ids = ['agent-hop', 'agent-hop-obs', 'agent-pair', 'agent-pair-mtls'];
  assert.is(targetOfProcess('agent-hop', ids), 'agent-hop');
  assert.is(targetOfProcess('agent-hop-obs', ids), 'agent-hop-obs');
  assert.is(targetOfProcess('agent-hop-obs', ['agent-hop-obs', 'agent-hop']), 'agent-hop-obs');
  assert.is(targetOfProcess('agent-pair-mtls-client', ids), 'agent-pair-mtls');
  assert.is(targetOfProcess('agent-pair-server', ids), 'agent-pair');
  assert.is(targetOfProcess('agent-hopper', ids), undefined);
  assert.is(targetOfProcess('agent-hop-obs', ['agent-hop']), undefined, 'its own target not measured');
  assert.is(targetOfProcess('pid-123', ids), undefined);
});

test.run();
