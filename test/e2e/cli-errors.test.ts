/** mesh up outside a compose project, or with no engine: one clear line, a non-zero exit status. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireEngine } from '../support/docker-engine.ts';
import { mesh } from '../support/run-command.ts';

test('no engine reachable: one line naming the socket, exit 4', async () => {
  const r = await mesh(['up'], { env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
  assert.is(r.code, 4);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /Docker engine not reachable at \/nonexistent\/docker.sock/);
});

if (await requireEngine()) {
  test('outside a compose project: one line saying what to do, exit 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dm-empty-'));
    try {
      const r = await mesh(['up'], { cwd: dir });
      assert.is(r.code, 3);
      const lines = r.stderr.trim().split('\n');
      assert.is(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /no compose project in .*pass -p NAME/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a named project with nothing running: exit 3', async () => {
    const r = await mesh(['status', '-p', 'dm-no-such-project-xyz']);
    assert.is(r.code, 3);
    assert.match(r.stderr, /has no running containers/);
  });
}

test('--help works on every command', async () => {
  // The commands `mesh --help` lists, so that a new one is covered without editing this test.
  const listed = [...(await mesh(['--help'])).stdout.split(/^Commands:$/m)[1]!.matchAll(/^  ([a-z]+)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  for (const c of ['up', 'down', 'status', 'check', 'routes', 'fault', 'canary', 'tap', 'top', 'dashboard', 'certs', 'ca', 'demo', 'control']) assert.ok(listed.includes(c), `mesh --help lists ${c}`);
  for (const cmd of [[], ...listed.map((c) => [c]), ['ca', 'rotate']]) {
    const r = await mesh([...cmd, '--help']);
    assert.is(r.code, 0, `${cmd.join(' ')} --help`);
    assert.match(r.stdout, /Usage: mesh/);
  }
});

test.run();
