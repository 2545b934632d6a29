/**
 * mTLS between two agents' identities on loopback: real leaves from the local CA (through ca-routes
 * and WorkloadIdentity), TLS 1.3, both sides verified; refused peers never reach the app; renewal under
 * steady load fails no request.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { WorkloadIdentity } from '../../../agent/identity/workload-identity.ts';
import { clientTlsOptions, serverTlsOptions, type IdentityMaterial } from '../../../agent/identity/tls-options.ts';
import { verifyPeer, principalOf } from '../../../agent/identity/verify-peer.ts';
import { makeLeaf, makeRoot, rootFromPem, type TestRoot } from '../../unit/identity/cert-factory.ts';
import { waitFor } from '../../support/wait-for.ts';
import { startCa, type CaHarness } from './ca-harness.ts';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';
const API = 'spiffe://cluster.local/ns/default/sa/api';

interface App {
  server: tls.Server;
  port: number;
  /** Bytes the "app" behind the server agent received. */
  appBytes: number;
  principals: string[];
  handshakeErrors: string[];
}

/** A server agent: TLS, then SPIFFE check of the client; an accepted connection echoes `ok <principal>`. */
async function serve(m: IdentityMaterial): Promise<App> {
  const app: App = { server: tls.createServer(serverTlsOptions(m)), port: 0, appBytes: 0, principals: [], handshakeErrors: [] };
  app.server.on('tlsClientError', (err) => app.handshakeErrors.push(err.message));
  app.server.on('secureConnection', (s) => {
    const peer = verifyPeer(s.getPeerCertificate(), undefined);
    if (!peer.ok) {
      app.handshakeErrors.push(peer.reason!);
      s.destroy();
      return;
    }
    app.principals.push(principalOf(peer.spiffeId!));
    s.on('data', (d: Buffer) => {
      app.appBytes += d.length;
      s.write(`ok ${principalOf(peer.spiffeId!)} ${s.alpnProtocol}\n`);
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => app.server.listen(0, '127.0.0.1', r));
  app.port = (app.server.address() as AddressInfo).port;
  return app;
}

/** One request over a new connection: resolves with the answer line, rejects on any failure. */
function call(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ ...opts, host: '127.0.0.1', port, servername: 'api' }, () => s.write('hello'));
    let got = '';
    s.setTimeout(3000, () => s.destroy(new Error('timeout')));
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.endsWith('\n')) {
        s.end();
        resolve(got.trim());
      }
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`closed: ${got || 'no answer'}`)));
  });
}

let h: CaHarness;
let web: WorkloadIdentity;
let api: WorkloadIdentity;
let meshRoot: TestRoot;
let app: App | undefined;

async function identities(ttlMs?: number): Promise<void> {
  h = await startCa({ leafTtlMs: ttlMs });
  for (const s of ['web', 'api']) {
    h.registry.set(`c-${s}`, { namespace: 'default', service: s });
    h.tokens.set(`c-${s}`, `tok-${s}`);
  }
  web = new WorkloadIdentity({ submit: h.submitFor('c-web') });
  api = new WorkloadIdentity({ submit: h.submitFor('c-api') });
  await Promise.all([web.start(), api.start()]);
  const root = h.ca.store.readRoot(h.ca.signingRootId());
  meshRoot = await rootFromPem(root.certPem, root.keyPem);
}

test.before.each(async () => {
  await identities();
});
test.after.each(async () => {
  web.close();
  api.close();
  if (app) await new Promise((r) => app!.server.close(r));
  app = undefined;
  await h.close();
});

test('meshed client → meshed server: TLS 1.3, h2 negotiated, both principals checked', async () => {
  app = await serve(api.material()!);
  const answer = await call(app.port, clientTlsOptions(web.material()!, [API]));
  assert.is(answer, 'ok cluster.local/ns/default/sa/web h2');
  const s = tls.connect({ ...clientTlsOptions(web.material()!, [API]), host: '127.0.0.1', port: app.port });
  await new Promise((r) => s.once('secureConnect', r));
  assert.is(s.getProtocol(), 'TLSv1.3');
  s.destroy();
});

test('client agent refuses a server whose SPIFFE ID is not the destination\'s (secure naming)', async () => {
  app = await serve(api.material()!);
  try {
    await call(app.port, clientTlsOptions(web.material()!, ['spiffe://cluster.local/ns/default/sa/db']));
    assert.unreachable('connected');
  } catch (err) {
    assert.match((err as Error).message, /secure naming: peer is spiffe:\/\/cluster.local\/ns\/default\/sa\/api/);
  }
  assert.is(app.appBytes, 0);
});

test('client agent refuses a server with a certificate from another CA', async () => {
  const other = await makeRoot('CN=other CA');
  const leaf = await makeLeaf(other, { uris: [API] });
  app = await serve({ keyPem: leaf.keyPem, chain: [leaf.certPem], trustBundle: [other.certPem] });
  try {
    await call(app.port, clientTlsOptions(web.material()!, [API]));
    assert.unreachable('connected');
  } catch (err) {
    assert.match((err as Error).message, /unable to get local issuer certificate|self.signed|certificate/i);
  }
});

interface BadClient {
  name: string;
  /** Material of the client; undefined: no client certificate at all. */
  make(): Promise<{ key?: string; cert?: string }>;
}
const badClients: BadClient[] = [
  { name: 'no certificate', make: async () => ({}) },
  {
    name: 'a certificate from another CA (same SPIFFE ID)',
    make: async () => {
      const leaf = await makeLeaf(await makeRoot('CN=other CA'), { uris: [WEB] });
      return { key: leaf.keyPem, cert: leaf.certPem };
    },
  },
  {
    name: 'an expired certificate from the mesh CA',
    make: async () => {
      const leaf = await makeLeaf(meshRoot, { uris: [WEB], notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) });
      return { key: leaf.keyPem, cert: leaf.certPem };
    },
  },
  {
    name: 'a mesh-CA certificate with two URI SANs',
    make: async () => {
      const leaf = await makeLeaf(meshRoot, { uris: [WEB, API] });
      return { key: leaf.keyPem, cert: leaf.certPem };
    },
  },
  {
    name: 'a mesh-CA certificate without a SPIFFE ID (DNS SAN only)',
    make: async () => {
      const leaf = await makeLeaf(meshRoot, { dns: ['web'] });
      return { key: leaf.keyPem, cert: leaf.certPem };
    },
  },
];

for (const c of badClients) {
  test(`STRICT server refuses a client with ${c.name}; the app sees no bytes`, async () => {
    app = await serve(api.material()!);
    const m = await c.make();
    const opts: tls.ConnectionOptions = { ...clientTlsOptions(web.material()!, [API]), key: m.key, cert: m.cert };
    try {
      await call(app.port, opts);
      assert.unreachable('the request was answered');
    } catch (err) {
      assert.not.match((err as Error).message, /secure naming/, 'the server refused it, not the client');
    }
    await waitFor(() => app!.handshakeErrors.length > 0, 2000, 'the server to record the refusal');
    assert.is(app.appBytes, 0);
    assert.equal(app.principals, []);
  });
}

test('renewal under steady load: three renewals on both sides, setSecureContext, zero failed requests, long-lived connection kept', async () => {
  web.close();
  api.close();
  await h.close();
  await identities(3000);
  app = await serve(api.material()!);
  const renewals = { web: 0, api: 0 };
  api.on('rotated', (opts) => {
    renewals.api++;
    app!.server.setSecureContext({ ...opts });
  });
  web.on('rotated', () => renewals.web++);

  // A connection opened before the first renewal and used throughout.
  const long = tls.connect({ ...clientTlsOptions(web.material()!, [API]), host: '127.0.0.1', port: app.port });
  await new Promise((r) => long.once('secureConnect', r));
  let longAnswers = 0;
  long.on('data', () => longAnswers++);
  let longClosed = false;
  long.on('close', () => (longClosed = true));

  let ok = 0;
  const failures: string[] = [];
  let stop = false;
  const workers = Array.from({ length: 4 }, async () => {
    while (!stop) {
      try {
        await call(app!.port, clientTlsOptions(web.material()!, [API]));
        ok++;
      } catch (err) {
        failures.push((err as Error).message);
      }
      long.write('x');
    }
  });
  await waitFor(() => renewals.web >= 3 && renewals.api >= 3, 15_000, 'three renewals on both sides');
  stop = true;
  await Promise.all(workers);
  assert.equal(failures, []);
  assert.ok(ok > 50, `only ${ok} requests`);
  assert.not.ok(longClosed, 'the long-lived connection survived');
  assert.ok(longAnswers > 0);
  long.destroy();
});

test.run();
