import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { candidateNames } from '../../../cli/project.ts';

test('project name candidates follow compose v2 then v1 normalisation', () => {
  assert.equal(candidateNames('My_Shop-2'), ['my_shop-2', 'myshop2']);
  assert.equal(candidateNames('shop'), ['shop']);
});

test.run();
