/** CSR signing end to end on loopback: fastify + ca-routes + WorkloadIdentity; renewal. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate } from 'node:crypto';
import type { CertsView } from '../../../wire/types.ts';
import { WorkloadIdentity } from '../../../agent/identity/workload-identity.ts';
import { verifyPeer } from '../../../agent/identity/verify-peer.ts';
import { makeCsr } from '../../unit/identity/cert-factory.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startCa, type CaHarness } from './ca-harness.ts';

let h: CaHarness;
const opened: WorkloadIdentity[] = [];
test.before.each(async () => {
  h = await startCa();
  h.registry.set('c-web', { namespace: 'default', service: 'web' });
  h.tokens.set('c-web', 'tok-web');
});
test.after.each(async () => {
  opened.splice(0).forEach((i) => i.close());
  await h.close();
});

function identity(container: string, token?: string): WorkloadIdentity {
  const id = new WorkloadIdentity({ submit: h.submitFor(container, token), backoff: { baseMs: 20, maxMs: 100 } });
  opened.push(id);
  return id;
}

test('an agent gets a leaf for its container\'s identity, and mesh certs lists it', async () => {
  const id = identity('c-web');
  const info = await id.start();
  assert.is(info.spiffeId, 'spiffe://cluster.local/ns/default/sa/web');
  const m = id.material()!;
  const leaf = new X509Certificate(m.chain[0]!);
  assert.ok(leaf.verify(new X509Certificate(m.trustBundle[0]!).publicKey));
  assert.ok(verifyPeer(leaf.raw, [info.spiffeId]).ok);
  // The held key is the certificate's key.
  assert.ok(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(m.keyPem)));
  const exp = id.expirySeconds();
  assert.ok(exp > 23.9 * 3600 && exp <= 24 * 3600, `expiry ${exp}`);

  const res = await fetch(`${h.url}/v1/certs`, { headers: { authorization: `Bearer ${h.apiToken}` } });
  assert.is(res.status, 200);
  const view = (await res.json()) as CertsView;
  assert.is(view.certificates.length, 1);
  const c = view.certificates[0]!;
  assert.is(c.container, 'c-web');
  assert.is(c.principal, 'cluster.local/ns/default/sa/web');
  assert.is(c.serial, info.serial);
  assert.is(c.issuer, view.ca.signer);
  assert.ok(Date.parse(c.renewAt) > Date.now() + 15 * 3600_000);
  assert.is(view.ca.roots.length, 1);
});

test('the CSR\'s own names are ignored: the leaf names the registry\'s workload', async () => {
  const { csrPem } = await makeCsr({ uris: ['spiffe://cluster.local/ns/default/sa/admin'] });
  const res = await h.submitFor('c-web')(csrPem);
  assert.is(res.spiffeId, 'spiffe://cluster.local/ns/default/sa/web');
  assert.is(new X509Certificate(res.certificate).subjectAltName, 'URI:spiffe://cluster.local/ns/default/sa/web');
});

const refusals: Array<[string, () => Promise<Response>, number]> = [
  ['wrong agent token', () => post('c-web', 'tok-other', { csr: 'x' }), 401],
  ['no token', () => post('c-web', '', { csr: 'x' }), 401],
  ['another container\'s token', () => post('c-api', 'tok-web', { csr: 'x' }), 401],
  ['unknown container (valid token, not in the registry)', () => post('c-gone', 'tok-gone', { csr: 'x' }), 404],
  ['no csr field', () => post('c-web', 'tok-web', { pem: 'x' }), 400],
  ['a CSR that is not one', () => post('c-web', 'tok-web', { csr: 'garbage' }), 400],
];
async function post(container: string, token: string, body: unknown): Promise<Response> {
  return fetch(`${h.url}/v1/agents/${container}/csr`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}
for (const [name, call, status] of refusals) {
  test(`CSR refused: ${name} → ${status}`, async () => {
    h.tokens.set('c-gone', 'tok-gone');
    h.tokens.set('c-api', 'tok-api');
    const res = await call();
    assert.is(res.status, status, await res.text());
  });
}

test('GET /v1/certs needs the CLI token', async () => {
  assert.is((await fetch(`${h.url}/v1/certs`)).status, 401);
  assert.is((await fetch(`${h.url}/v1/certs`, { headers: { authorization: 'Bearer tok-web' } })).status, 401);
});

test('renewal: a 3 s leaf is renewed at two thirds of its life, three times, each a new key and serial', async () => {
  await h.close();
  h = await startCa({ leafTtlMs: 3000 });
  h.registry.set('c-web', { namespace: 'default', service: 'web' });
  h.tokens.set('c-web', 'tok-web');
  const id = identity('c-web');
  const seen: Array<{ serial: string; at: number; key: string; notBefore: number; notAfter: number }> = [];
  id.on('rotated', (_opts, info) =>
    seen.push({ serial: info.serial, at: Date.now(), key: id.material()!.keyPem, notBefore: +info.notBefore, notAfter: +info.notAfter }),
  );
  await id.start();
  await waitFor(() => seen.length >= 4, 12_000, 'three renewals');
  assert.is(new Set(seen.map((s) => s.serial)).size, seen.length);
  assert.is(new Set(seen.map((s) => s.key)).size, seen.length);
  for (let i = 1; i < 4; i++) {
    // Renewed at two thirds of the previous leaf's life (X.509 times have whole seconds), before it expired.
    const prev = seen[i - 1]!;
    const due = prev.notBefore + ((prev.notAfter - prev.notBefore) * 2) / 3;
    assert.ok(seen[i]!.at >= due - 50 && seen[i]!.at < due + 500, `renewed ${seen[i]!.at - due} ms after due`);
    assert.ok(seen[i]!.at < prev.notAfter, 'renewed before expiry');
  }
  assert.ok(id.expirySeconds() > 0);
});

test('a failed timed renewal is retried with backoff until the CA answers again', async () => {
  await h.close();
  h = await startCa({ leafTtlMs: 1500 });
  h.tokens.set('c-web', 'tok-web');
  h.registry.set('c-web', { namespace: 'default', service: 'web' });
  const id = identity('c-web');
  const first = await id.start();
  const failures: Error[] = [];
  id.on('renewal-failed', (err) => failures.push(err));
  h.registry.delete('c-web');
  await waitFor(() => failures.length >= 2, 5000, 'two failed renewals');
  assert.is(id.info()!.serial, first.serial, 'keeps the leaf it has');
  h.registry.set('c-web', { namespace: 'default', service: 'web' });
  await waitFor(() => id.info()!.serial !== first.serial, 5000, 'renewed after the CA came back');
});

test('start() keeps retrying while the CA refuses, then succeeds', async () => {
  h.registry.delete('c-web');
  const id = identity('c-web');
  const failures: Error[] = [];
  id.on('renewal-failed', (err) => failures.push(err));
  const started = id.start();
  await waitFor(() => failures.length >= 2, 5000, 'two failures');
  h.registry.set('c-web', { namespace: 'default', service: 'web' });
  const info = await started;
  assert.is(info.spiffeId, 'spiffe://cluster.local/ns/default/sa/web');
  assert.match(failures[0]!.message, /404/);
});

test.run();
