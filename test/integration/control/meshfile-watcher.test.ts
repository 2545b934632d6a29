/** The watcher on a real file system: writes, partial writes, rename-swaps, deletion. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, renameSync, unlinkSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshfileWatcher } from '../../../control/config/meshfile-watcher.ts';
import { waitFor } from '../../support/wait-for.ts';

function setup(initial?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'dm-watch-'));
  const file = join(dir, 'mesh.yaml');
  if (initial !== undefined) writeFileSync(file, initial);
  const seen: string[] = [];
  let deletions = 0;
  const w = new MeshfileWatcher({ file, onContents: (t) => seen.push(t), onDeleted: () => deletions++ });
  return { dir, file, seen, w, deletions: () => deletions, cleanup: async () => { await w.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('reads the file at start and each saved change', async () => {
  const s = setup('a: 1\n');
  try {
    await s.w.start();
    assert.equal(s.seen, ['a: 1\n']);
    writeFileSync(s.file, 'a: 2\n');
    await waitFor(() => s.seen.includes('a: 2\n'), 3000, 'second version');
  } finally {
    await s.cleanup();
  }
});

test('a write in two halves is handed on whole', async () => {
  const s = setup('v: 0\n');
  try {
    await s.w.start();
    const fd = openSync(s.file, 'w');
    writeSync(fd, 'first: half\n');
    await new Promise((r) => setTimeout(r, 10)); // the half-written state this test is about
    writeSync(fd, 'second: half\n');
    closeSync(fd);
    await waitFor(() => s.seen.at(-1) === 'first: half\nsecond: half\n', 3000, 'whole file');
    assert.not.ok(s.seen.includes('first: half\n'), 'never the half file');
  } finally {
    await s.cleanup();
  }
});

test('an editor rename-swap is one change, never a deletion', async () => {
  const s = setup('v: 1\n');
  try {
    await s.w.start();
    const tmp = join(s.dir, '.mesh.yaml.swp');
    writeFileSync(tmp, 'v: 2\n');
    renameSync(tmp, s.file);
    await waitFor(() => s.seen.at(-1) === 'v: 2\n', 3000, 'swapped contents');
    assert.is(s.deletions(), 0);
  } finally {
    await s.cleanup();
  }
});

test('a deleted file is reported; a new file later is read', async () => {
  const s = setup('v: 1\n');
  try {
    await s.w.start();
    unlinkSync(s.file);
    await waitFor(() => s.deletions() === 1, 3000, 'deletion');
    writeFileSync(s.file, 'v: 3\n');
    await waitFor(() => s.seen.at(-1) === 'v: 3\n', 3000, 'recreated');
  } finally {
    await s.cleanup();
  }
});

test('no file at start: nothing read; creating it later is read', async () => {
  const s = setup();
  try {
    await s.w.start();
    assert.equal(s.seen, []);
    writeFileSync(s.file, 'v: 9\n');
    await waitFor(() => s.seen.at(-1) === 'v: 9\n', 3000, 'created');
  } finally {
    await s.cleanup();
  }
});

test.run();
