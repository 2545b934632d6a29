import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { profileOutDir } from '../../../bench/profile/profile-run.ts';

test('--profile writes to bench/profiles by default, else to --out (relative to the repository, or absolute)', () => {
  assert.is(profileOutDir('/repo', 'bench'), '/repo/bench/profiles');
  assert.is(profileOutDir('/repo', 'out/p'), '/repo/out/p');
  assert.is(profileOutDir('/repo', '/tmp/prof'), '/tmp/prof');
});

test.run();
