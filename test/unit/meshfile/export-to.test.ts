/** control/meshfile/export-to.ts: Istio's exportTo visibility (pilot's PushContext), pure. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { destinationRuleExports, destinationRuleLocal, destinationRulesTie, exportScope, virtualServiceRank, virtualServicesTie } from '../../../control/meshfile/export-to.ts';

test('exportScope: none or "*" is every namespace; "." is the document\'s own', () => {
  assert.is(exportScope(undefined, 'a'), 'all');
  assert.is(exportScope([], 'a'), 'all');
  assert.is(exportScope(['*'], 'a'), 'all');
  assert.equal([...(exportScope(['.', 'b'], 'a') as Set<string>)], ['a', 'b']);
});

test('virtualServiceRank: private to the client\'s namespace, then exported to it by name, then public; else invisible', () => {
  assert.is(virtualServiceRank(exportScope(['.'], 'a'), 'a', 'a'), 0);
  assert.is(virtualServiceRank(exportScope(['a'], 'a'), 'a', 'a'), 0, 'its own namespace by name is private too');
  assert.is(virtualServiceRank(exportScope(['.'], 'a'), 'a', 'b'), undefined);
  assert.is(virtualServiceRank(exportScope(['.', 'b'], 'a'), 'a', 'b'), 1);
  assert.is(virtualServiceRank(exportScope(undefined, 'a'), 'a', 'a'), 2, 'no exportTo is public, even in its own namespace (pilot: publicByGateway)');
  assert.is(virtualServiceRank(exportScope(['*'], 'a'), 'a', 'z'), 2);
});

test('virtualServicesTie: same rank for some namespace', () => {
  assert.ok(virtualServicesTie('all', 'a', 'all', 'b'));
  assert.not.ok(virtualServicesTie('all', 'a', exportScope(['.'], 'a'), 'a'), 'public and private rank apart');
  assert.not.ok(virtualServicesTie(exportScope(['.'], 'a'), 'a', exportScope(['.'], 'b'), 'b'));
  assert.ok(virtualServicesTie(exportScope(['.'], 'a'), 'a', exportScope(['a'], 'a'), 'a'), 'both private to a');
  assert.not.ok(virtualServicesTie(exportScope(['.'], 'a'), 'a', exportScope(['a'], 'b'), 'b'), 'private to a, and exported to a by name from b: a\'s own ranks first');
  assert.ok(virtualServicesTie(exportScope(['q'], 'a'), 'a', exportScope(['q', 'r'], 'b'), 'b'), 'both exported to q by name');
});

test('DestinationRules: local to their namespace unless exported away from it; exports; ties within one namespace', () => {
  assert.ok(destinationRuleLocal('all', 'a'));
  assert.ok(destinationRuleLocal(exportScope(['.'], 'a'), 'a'));
  assert.not.ok(destinationRuleLocal(exportScope(['b'], 'a'), 'a'));
  assert.is(destinationRuleExports(exportScope(['.'], 'a'), 'a'), undefined, 'private only');
  assert.equal([...(destinationRuleExports(exportScope(['.', 'b'], 'a'), 'a') as Set<string>)], ['b']);
  assert.is(destinationRuleExports('all', 'a'), 'all');
  assert.ok(destinationRulesTie('all', exportScope(['.'], 'a'), 'a'), 'both local');
  assert.not.ok(destinationRulesTie(exportScope(['.'], 'a'), exportScope(['b'], 'a'), 'a'), 'one local, one exported to b');
  assert.ok(destinationRulesTie('all', exportScope(['b'], 'a'), 'a'), 'both exported to b');
  assert.ok(destinationRulesTie(exportScope(['b', 'c'], 'a'), exportScope(['c'], 'a'), 'a'));
  assert.not.ok(destinationRulesTie(exportScope(['b'], 'a'), exportScope(['c'], 'a'), 'a'));
});

test.run();
