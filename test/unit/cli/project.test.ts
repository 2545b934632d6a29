import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { candidateNames, composeFilesOf } from '../../../cli/project.ts';
import { join, resolve } from 'node:path';

const SHOP = resolve(import.meta.dirname, '../../../examples/shop');

test('project name candidates follow compose v2 then v1 normalisation', () => {
  assert.equal(candidateNames('My_Shop-2'), ['my_shop-2', 'myshop2']);
  assert.equal(candidateNames('shop'), ['shop']);
});

test('compose files: the directory\'s own, -f with its directory, --project-directory', () => {
  assert.equal(composeFilesOf({}, SHOP), { directory: SHOP, files: [join(SHOP, 'docker-compose.yml')] });
  assert.equal(composeFilesOf({ file: ['examples/shop/docker-compose.yml'] }, resolve(SHOP, '../..')), {
    directory: SHOP,
    files: [join(SHOP, 'docker-compose.yml')],
  });
  assert.equal(composeFilesOf({ projectDirectory: SHOP }, '/'), { directory: SHOP, files: [join(SHOP, 'docker-compose.yml')] });
  assert.equal(composeFilesOf({}, '/'), { directory: '/', files: [] });
});

test.run();
