import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { xfccValue } from '../../../agent/identity/xfcc.ts';
import { makeLeaf, makeRoot, x509 } from './cert-factory.ts';

test('XFCC names us, the peer\'s certificate hash, subject and SPIFFE ID', async () => {
  const leaf = await makeLeaf(await makeRoot(), { uris: ['spiffe://cluster.local/ns/default/sa/web'] });
  const v = xfccValue('spiffe://cluster.local/ns/default/sa/api', leaf.der, 'spiffe://cluster.local/ns/default/sa/web');
  const hash = createHash('sha256').update(leaf.der).digest('hex');
  assert.is(v, `By=spiffe://cluster.local/ns/default/sa/api;Hash=${hash};Subject="O=test";URI=spiffe://cluster.local/ns/default/sa/web`);
});

test('XFCC Subject is the one-line RFC 4514 form @peculiar/x509 wrote before (several RDNs, multi-valued, escapes)', async () => {
  const root = await makeRoot();
  for (const subject of ['O=dockmesh', 'CN=web, O=dockmesh', 'CN=a\\, b+OU=x, O=q\\"uote']) {
    const leaf = await makeLeaf(root, { uris: ['spiffe://cluster.local/ns/default/sa/web'], subject });
    const want = new x509.X509Certificate(new Uint8Array(leaf.der)).subject;
    const v = xfccValue('spiffe://cluster.local/ns/default/sa/api', leaf.der, 'spiffe://cluster.local/ns/default/sa/web');
    assert.is(v.split(';')[2], `Subject="${want.replace(/["\\]/g, (c) => `\\${c}`)}"`, subject);
  }
});

test.run();
