/** `mesh check --offline` reads the compose file's dockmesh labels too: a bad dockmesh.namespace is an error with its compose file position. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../..', import.meta.url).pathname;

test('mesh check: a compose service labelled dockmesh.namespace: Team is reported (7: errors), a good label is not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-check-labels-'));
  try {
    const compose = join(dir, 'docker-compose.yml');
    writeFileSync(join(dir, 'mesh.yaml'), '');
    const run = () => spawnSync(process.execPath, [join(ROOT, 'cli', 'bin.js'), 'check', '--offline', '-f', compose], { encoding: 'utf8' });
    writeFileSync(compose, 'services:\n  web:\n    image: busybox\n    labels:\n      dockmesh.namespace: Team\n');
    const bad = run();
    assert.is(bad.status, 7, bad.stdout + bad.stderr);
    assert.match(bad.stdout, new RegExp(`${compose.replace(/[.]/g, '\\.')}:5:27: error MESH_ERR_BAD_LABEL label dockmesh\\.namespace="Team" is not a namespace name`));
    writeFileSync(compose, 'services:\n  web:\n    image: busybox\n    labels:\n      dockmesh.namespace: team\n');
    const good = run();
    assert.is(good.status, 0, good.stdout + good.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
