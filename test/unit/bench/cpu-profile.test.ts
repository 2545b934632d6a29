import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bundleFilesLocator, bundleLocator, foldProfile, frameKind, frameName, topFrames, type CpuProfile } from '../../../bench/profile/cpu-profile.ts';
import { renderFlameGraph } from '../../../bench/profile/flame-graph.ts';

const cf = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

/** (root) → a → b (twice, under two a's that merge) → writev; (idle) left out. */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: cf('(root)'), children: [2, 3, 6, 7] },
    { id: 2, callFrame: cf('handle', 'file:///opt/dockmesh/agent.mjs', 9), children: [4] },
    { id: 3, callFrame: cf('handle', 'file:///opt/dockmesh/agent.mjs', 9), children: [5] },
    { id: 4, callFrame: cf('end', 'node:_http_outgoing', 1032), children: [8] },
    { id: 5, callFrame: cf('end', 'node:_http_outgoing', 1032) },
    { id: 6, callFrame: cf('(idle)') },
    { id: 7, callFrame: cf('(garbage collector)') },
    { id: 8, callFrame: cf('writev') },
  ],
  samples: [2, 4, 5, 6, 6, 6, 7, 8, 8],
  timeDeltas: [10, 20, 30, 1000, 1000, 1000, 5, 40, 40],
};

test('frameName and frameKind', () => {
  assert.is(frameName(cf('handle', 'file:///opt/dockmesh/agent.mjs', 9)), 'handle agent.mjs:10');
  assert.is(frameName(cf('', 'node:events', 469)), '(anonymous) node:events:470');
  assert.is(frameName(cf('(program)')), '(program)');
  assert.is(frameKind(cf('x', 'node:net')), 'node');
  assert.is(frameKind(cf('writev')), 'native');
  assert.is(frameKind(cf('wasm-function[20]', 'wasm://wasm/00034eea')), 'wasm');
  assert.is(frameKind(cf('x', 'file:///a.mjs')), 'bundle');
});

test('bundleLocator: the module of a bundle line, from esbuild\'s module comments', () => {
  const bundle = ['import x;', '// ../main/node_modules/undici/lib/core/symbols.js', 'a', '// agent/http-proxy.ts', 'b', 'c', '// ../../agent/exchange.ts', 'd'].join('\n');
  const locate = bundleLocator(bundle);
  assert.is(locate('u', 0), undefined);
  assert.is(locate('u', 2), 'node_modules/undici/lib/core/symbols.js');
  assert.is(locate('u', 5), 'agent/http-proxy.ts');
  assert.is(locate('u', 7), 'agent/exchange.ts');
  assert.is(frameName(cf('handle', 'file:///x/agent.mjs', 4), locate), 'handle agent/http-proxy.ts');
  assert.is(frameKind(cf('handle', 'file:///x/agent.mjs'), 'x node_modules/undici/lib/a.js'), 'package');
});

test('bundleFilesLocator: a frame is looked up in the bundle file its URL names (entry or chunk)', () => {
  const locate = bundleFilesLocator(new Map([
    ['agent.mjs', ['import x;', '// agent/http-proxy.ts', 'a'].join('\n')],
    ['chunk-AB12.mjs', ['import y;', '// node_modules/undici/lib/dispatcher/pool.js', 'b', '// agent/h1/h1-pool.ts', 'c'].join('\n')],
  ]));
  assert.is(locate('file:///opt/dockmesh/agent.mjs', 2), 'agent/http-proxy.ts');
  assert.is(locate('file:///opt/dockmesh/chunk-AB12.mjs', 2), 'node_modules/undici/lib/dispatcher/pool.js');
  assert.is(locate('file:///opt/dockmesh/chunk-AB12.mjs', 4), 'agent/h1/h1-pool.ts');
  assert.is(locate('file:///opt/dockmesh/chunk-OTHER.mjs', 4), undefined);
});

test('foldProfile: same frames under one parent merge, idle is not CPU, totals add up', () => {
  const root = foldProfile(PROFILE);
  assert.is(root.totalUs, 10 + 20 + 30 + 5 + 80, 'idle samples excluded');
  assert.equal(root.children.map((c) => c.name), ['handle agent.mjs:10', '(garbage collector)']);
  const handle = root.children[0]!;
  assert.is(handle.selfUs, 10);
  assert.is(handle.totalUs, 140);
  assert.is(handle.children.length, 1, 'the two `end` frames merged');
  assert.is(handle.children[0]!.selfUs, 50);
  assert.is(handle.children[0]!.children[0]!.totalUs, 80);
});

test('topFrames: self and inclusive shares', () => {
  const top = topFrames(foldProfile(PROFILE), 3);
  assert.equal(top.self[0], ['writev', 80]);
  assert.equal(top.inclusive[0], ['handle agent.mjs:10', 140]);
});

test('renderFlameGraph: one titled rect per wide-enough frame, escaped, root at the bottom', () => {
  const root = foldProfile(PROFILE);
  const svg = renderFlameGraph(root, { title: 'a <b> & c', subtitle: 's', widthPx: 600 });
  assert.match(svg, /^<\?xml/);
  assert.match(svg, /a &lt;b&gt; &amp; c/);
  assert.is((svg.match(/<rect /g) ?? []).length, 1 + 5, 'background + all, handle, end, writev, gc');
  assert.match(svg, /<title>writev: 55\.17% \(self 55\.17%\)<\/title>/);
  assert.not.match(svg, /__Y__|NaN|undefined/);
  const y = (name: string) => Number(new RegExp(`<title>${name}[^<]*</title><rect x="[\\d.]+" y="(\\d+)"`).exec(svg)?.[1]);
  assert.ok(y('all') > y('handle agent.mjs:10') && y('handle agent.mjs:10') > y('writev'), 'callers below callees');
  const narrow = renderFlameGraph(root, { title: 't', subtitle: 's', widthPx: 600, minWidthPx: 100 });
  assert.not.match(narrow, /garbage collector/, 'frames narrower than minWidthPx are left out');
});

test.run();
