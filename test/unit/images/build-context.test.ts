import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exampleContext, exampleContextFiles, meshImageContext } from '../../../cli/images/build-context.ts';
import { ensureExampleImage } from '../../../cli/images/ensure-example-image.ts';
import { exampleRepo, imageRef, isExampleName, MESH_IMAGES } from '../../../cli/images/image-catalog.ts';

const test = suite('build context');

test('a mesh image context is its Dockerfile and its bundle (entry and chunks), nothing else', () => {
  const chunk = { file: 'chunk-ABC.mjs', contents: new Uint8Array([3]) };
  const bundle = { file: 'agent.mjs', contents: new Uint8Array([1, 2]), chunks: [chunk] };
  assert.equal(meshImageContext('FROM x\n', bundle), [
    { type: 'file', path: 'Dockerfile', mode: 0o644, contents: 'FROM x\n' },
    { type: 'file', path: 'agent.mjs', mode: 0o644, contents: bundle.contents },
    { type: 'file', path: 'chunk-ABC.mjs', mode: 0o644, contents: chunk.contents },
  ]);
  assert.is(meshImageContext('FROM x\n', { ...bundle, chunks: [] }).length, 2);
});

const files: [string, boolean][] = [
  ['Dockerfile', true],
  ['web.mjs', true],
  ['lib/http-service.mjs', true],
  ['docker-compose.yml', false],
  ['docker-compose.override.yml', false],
  ['compose.yaml', false],
  ['mesh.yaml', false],
  ['mesh.canary.yaml', false],
  ['README.md', false],
  ['.env', false],
  ['node_modules/x/index.js', false],
  ['.git/HEAD', false],
];
for (const [file, inContext] of files) {
  test(`example context ${inContext ? 'includes' : 'leaves out'} ${file}`, () => {
    assert.is(exampleContextFiles([file]).includes(file), inContext);
  });
}

test('example context entries read host files under the example directory, sorted', () => {
  assert.equal(exampleContextFiles(['web.mjs', 'Dockerfile', 'api.mjs']), ['Dockerfile', 'api.mjs', 'web.mjs']);
  assert.equal(exampleContext('/r/examples/shop', ['web.mjs']), [{ type: 'file', path: 'web.mjs', mode: 0o644, source: '/r/examples/shop/web.mjs' }]);
});

test('names and tags', () => {
  assert.is(imageRef(MESH_IMAGES.agent.repo, 'abc'), 'dockmesh/agent:abc');
  assert.is(imageRef(exampleRepo('shop'), 'dev'), 'dockmesh/example-shop:dev');
  assert.is(MESH_IMAGES.control.dockerfile, 'compose/control/Dockerfile');
  for (const [name, ok] of [['shop', true], ['my-shop2', true], ['../etc', false], ['Shop', false], ['', false]] as const) {
    assert.is(isExampleName(name), ok, name);
  }
});

test('ensureExampleImage rejects unknown and unsafe names before touching the engine', async () => {
  for (const name of ['nope', '../../etc', 'Shop']) {
    try {
      await ensureExampleImage(name, { docker: {} as never });
      assert.unreachable(name);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'MESH_ERR_IMAGE_EXAMPLE', `${name}: ${err}`);
    }
  }
});

test.run();
