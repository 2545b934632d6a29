/**
 * Regression: `mesh status | head -4` crashed with an unhandled EPIPE and a stack trace once the
 * reader had gone. A reader that stops early (head, less, grep -q) must not turn into a crash: the
 * command finishes and exits with its own status, its further output dropped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../..', import.meta.url).pathname;

async function closedStdout(args: string[], closeStderr = false): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'cli', 'bin.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // the reader is gone before the first line
  let stderr = '';
  if (closeStderr) child.stderr.destroy();
  else child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

test('mesh check with its stdout closed: no crash, the meshfile\'s status (7: errors)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-epipe-'));
  try {
    writeFileSync(join(dir, 'docker-compose.yml'), 'services:\n  web:\n    image: busybox\n');
    writeFileSync(join(dir, 'mesh.yaml'), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web}\nspec:\n  hosts: [web]\n  http:\n  - route: [{destination: {host: nowhere}}]\n    timeout: soon\n');
    const r = await closedStdout(['check', '--offline', '-f', join(dir, 'docker-compose.yml')]);
    assert.not.match(r.stderr, /EPIPE|Unhandled 'error' event/, r.stderr);
    assert.is(r.code, 7, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mesh check with stdout and stderr closed (`mesh check 2>&1 | head`): still its status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-epipe-'));
  try {
    writeFileSync(join(dir, 'docker-compose.yml'), 'services:\n  web:\n    image: busybox\n');
    writeFileSync(join(dir, 'mesh.yaml'), 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web}\nspec:\n  hosts: [web]\n  http:\n  - timeout: soon\n');
    assert.is((await closedStdout(['check', '--offline', '-f', join(dir, 'docker-compose.yml')], true)).code, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mesh --help with its stdout closed: exit 0', async () => {
  const r = await closedStdout(['--help']);
  assert.not.match(r.stderr, /EPIPE|Unhandled 'error' event/, r.stderr);
  assert.is(r.code, 0, r.stderr);
});

test.run();
