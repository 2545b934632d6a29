import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { xfccValue } from '../../../agent/identity/xfcc.ts';
import { makeLeaf, makeRoot } from './cert-factory.ts';

test('XFCC names us, the peer\'s certificate hash, subject and SPIFFE ID', async () => {
  const leaf = await makeLeaf(await makeRoot(), { uris: ['spiffe://cluster.local/ns/default/sa/web'] });
  const v = xfccValue('spiffe://cluster.local/ns/default/sa/api', leaf.der, 'spiffe://cluster.local/ns/default/sa/web');
  const hash = createHash('sha256').update(leaf.der).digest('hex');
  assert.is(v, `By=spiffe://cluster.local/ns/default/sa/api;Hash=${hash};Subject="O=test";URI=spiffe://cluster.local/ns/default/sa/web`);
});

test.run();
