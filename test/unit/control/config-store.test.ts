import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigStore, type LoadOutcome } from '../../../control/config/config-store.ts';

/** A loader for the store's own logic: JSON objects are valid, anything else is an error at 1:1. */
function jsonLoader(text: string, file: string): LoadOutcome<Record<string, unknown>> {
  try {
    return { valid: true, spec: JSON.parse(text) as Record<string, unknown>, diagnostics: [] };
  } catch {
    return { valid: false, spec: null, diagnostics: [{ severity: 'error', code: 'E', message: 'bad', file, line: 1, column: 1 }] };
  }
}

test('a good file takes effect and bumps the version; the same content does not', () => {
  const s = new ConfigStore('mesh.yaml', jsonLoader, () => undefined);
  let changes = 0;
  s.on('change', () => changes++);
  assert.ok(s.apply('{"a":1}'));
  assert.is(s.version, 1);
  assert.not.ok(s.apply('{ "a": 1 }'), 'same spec, different whitespace: no new version');
  assert.is(s.version, 1);
  assert.ok(s.apply('{"a":2}'));
  assert.is(s.version, 2);
  assert.is(changes, 2);
});

test('an invalid file changes nothing in force and reports; fixing it applies and clears', () => {
  const s = new ConfigStore('mesh.yaml', jsonLoader, () => undefined);
  s.apply('{"a":1}');
  assert.not.ok(s.apply('{"a":'));
  assert.equal(s.spec, { a: 1 });
  assert.is(s.version, 1);
  assert.is(s.view().errors.length, 1);
  assert.is(s.view().errors[0]!.code, 'E');
  assert.ok(s.apply('{"a":3}'));
  assert.is(s.view().errors.length, 0);
  assert.equal(s.spec, { a: 3 });
});

test('a deleted file keeps the last good config with a notice', () => {
  const s = new ConfigStore('mesh.yaml', jsonLoader, () => undefined);
  s.apply('{"a":1}');
  s.deleted();
  assert.equal(s.spec, { a: 1 });
  assert.match(s.view().notice ?? '', /deleted: keeping the last good config \(version 1\)/);
});

test.run();
