/**
 * A resumed TLS session skips the certificate checks of a full handshake: the peer certificate is
 * the one the session was made with. The agents check it again on resumption, both ways: a peer
 * whose leaf has expired since (or whose root has left the trust bundle) is not let in on an old
 * session. Real TLS 1.3 on loopback, the agent's MeshTls and InboundGuard on both ends.
 */
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InboundGuard } from '../../../agent/mtls/inbound-guard.ts';
import { MeshTls } from '../../../agent/mtls/mesh-tls.ts';
import type { IdentityMaterial } from '../../../agent/identity/tls-options.ts';
import { makeLeaf, makeRoot, type TestRoot } from '../../unit/identity/cert-factory.ts';

const WEB = 'spiffe://cluster.local/ns/default/sa/web';
const API = 'spiffe://cluster.local/ns/default/sa/api';

interface Server {
  mesh: MeshTls;
  guard: InboundGuard;
  port: number;
  /** Handshakes the guard accepted / refused, and how many of them were resumed. */
  accepted: number;
  refused: string[];
  resumed: number;
  close(): Promise<void>;
}

async function material(root: TestRoot, id: string, lifetimeMs: number, roots: TestRoot[] = [root]): Promise<IdentityMaterial> {
  const leaf = await makeLeaf(root, { uris: [id], notAfter: new Date(Date.now() + lifetimeMs) });
  return { keyPem: leaf.keyPem, chain: [leaf.certPem], trustBundle: roots.map((r) => r.certPem) };
}

/** A server agent's inbound TLS: the guard checks every peer, as MeshListener does. */
async function serve(m: IdentityMaterial): Promise<Server> {
  const mesh = new MeshTls();
  mesh.apply(m, API);
  const guard = new InboundGuard(mesh, { current: null });
  const server = tls.createServer({ requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['http/1.1'] });
  mesh.register(server);
  const s: Server = {
    mesh, guard, port: 0, accepted: 0, refused: [], resumed: 0,
    close: () => new Promise((r) => server.close(() => r())),
  };
  server.on('tlsClientError', () => {});
  server.on('secureConnection', (sock) => {
    sock.on('error', () => {});
    if (sock.isSessionReused()) s.resumed++;
    const peer = guard.accept(sock);
    if (typeof peer === 'string') {
      s.refused.push(peer);
      sock.destroy();
      return;
    }
    s.accepted++;
    sock.on('data', () => sock.write('ok\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.port = (server.address() as AddressInfo).port;
  return s;
}

/** One exchange over a new connection from `client`: 'ok', or why it failed; whether it resumed. */
function call(client: MeshTls, port: number): Promise<{ answer: string; resumed: boolean }> {
  return new Promise((resolve) => {
    client.connect('127.0.0.1', port, API, ['http/1.1'], 3000, (err, socket) => {
      if (err) return resolve({ answer: `error: ${err.message}`, resumed: false });
      const resumed = socket!.isSessionReused();
      let got = '';
      socket!.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.endsWith('\n')) {
          socket!.end();
          resolve({ answer: got.trim(), resumed });
        }
      });
      socket!.on('error', () => {});
      socket!.on('close', () => resolve({ answer: got.trim() || 'closed', resumed }));
      socket!.write('hello');
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let root: TestRoot;

test.before(async () => {
  root = await makeRoot();
});

test('a session is resumed while both leaves are good', async () => {
  const server = await serve(await material(root, API, 3600_000));
  const client = new MeshTls();
  client.apply(await material(root, WEB, 3600_000), WEB);
  assert.equal(await call(client, server.port), { answer: 'ok', resumed: false });
  await sleep(50);
  assert.equal(await call(client, server.port), { answer: 'ok', resumed: true });
  assert.is(server.accepted, 2);
  await server.close();
});

test('the server refuses a resumed session whose client leaf has expired since', async () => {
  const server = await serve(await material(root, API, 3600_000));
  const client = new MeshTls();
  client.apply(await material(root, WEB, 2500), WEB);
  assert.equal((await call(client, server.port)).answer, 'ok');
  await sleep(3200);
  const second = await call(client, server.port);
  assert.is(server.resumed, 1, 'the client offered its old session');
  assert.is.not(second.answer, 'ok');
  assert.is(server.accepted, 1);
  assert.match(server.refused[0] ?? '', /expired/);
  await server.close();
});

test('the client does not resume with a server whose leaf has expired since: a full handshake refuses it', async () => {
  const server = await serve(await material(root, API, 2500));
  const client = new MeshTls();
  client.apply(await material(root, WEB, 3600_000), WEB);
  assert.equal((await call(client, server.port)).answer, 'ok');
  await sleep(3200);
  const second = await call(client, server.port);
  assert.match(second.answer, /^error: .*expired/i);
  assert.is(server.accepted, 1);
  await server.close();
});

test('a peer whose root has left the trust bundle is not let in on an old session', async () => {
  const other = await makeRoot('CN=old root');
  // The server trusts both roots at first; the client's leaf is from the old one.
  const server = await serve(await material(root, API, 3600_000, [root, other]));
  const client = new MeshTls();
  client.apply(await material(other, WEB, 3600_000, [root, other]), WEB);
  assert.equal((await call(client, server.port)).answer, 'ok');
  // The old root is dropped (mesh ca rotate --finish): the server's bundle no longer has it.
  const serverLeaf = await makeLeaf(root, { uris: [API] });
  server.mesh.apply({ keyPem: serverLeaf.keyPem, chain: [serverLeaf.certPem], trustBundle: [root.certPem] }, API);
  const second = await call(client, server.port);
  assert.is.not(second.answer, 'ok');
  assert.is(server.accepted, 1);
  await server.close();
});

test.run();
