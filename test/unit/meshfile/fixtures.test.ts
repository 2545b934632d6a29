/**
 * Table-driven over the fixture corpus: every diagnostic of every file, exact code and position,
 * nothing more and nothing less; validity and disabled documents as declared.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDiagnostic, MESHFILE_CODES } from '../../../control/meshfile/diagnostics.ts';
import { loadMeshfile } from '../../../control/meshfile/load-meshfile.ts';
import { loadCorpus } from './fixture-corpus.ts';

const corpus = loadCorpus();

test('the corpus has valid and invalid files', () => {
  assert.ok(corpus.filter((f) => f.group === 'valid').length >= 10);
  assert.ok(corpus.filter((f) => f.group === 'invalid').length >= 20);
});

for (const f of corpus) {
  test(f.name, () => {
    const r = loadMeshfile(f.text, f.name, f.ctx);
    const got = r.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`).sort();
    const detail = r.diagnostics.map(formatDiagnostic).join('\n');
    assert.equal(got, [...f.expect].sort(), `diagnostics of ${f.name}:\n${detail}`);
    assert.is(r.valid, f.valid, `valid of ${f.name}:\n${detail}`);
    assert.equal(r.disabled.map((d) => `${d.kind}/${d.name}`).sort(), [...f.disabled].sort(), `disabled of ${f.name}`);
    if (f.group === 'invalid') assert.ok(r.diagnostics.some((d) => d.severity === 'error'), 'an invalid fixture has an error');
    else assert.not.ok(r.diagnostics.some((d) => d.severity === 'error'), `a valid fixture has no error:\n${detail}`);
    for (const d of r.diagnostics) {
      assert.ok(d.line >= 1 && d.column >= 1, 'positions are 1-based');
      assert.is(d.file, f.name);
    }
  });
}

test('every diagnostic code is exercised by the corpus and documented in docs/meshfile.md', () => {
  const seen = new Set(corpus.flatMap((f) => f.expect.map((e) => e.split(' ')[0])));
  // loader.test.ts: a 1 MiB fixture file would bloat the repo; compose-file.test.ts: a compose file's label, not a meshfile's.
  const elsewhere = new Set(['MESH_ERR_FILE_TOO_LARGE', 'MESH_ERR_BAD_LABEL']);
  const docs = readFileSync(resolve(import.meta.dirname, '..', '..', '..', 'docs', 'meshfile.md'), 'utf8');
  for (const code of Object.keys(MESHFILE_CODES)) {
    assert.ok(seen.has(code) || elsewhere.has(code), `no fixture expects ${code}`);
    assert.ok(docs.includes(`\`${code}\``), `docs/meshfile.md does not document ${code}`);
  }
});

test.run();
