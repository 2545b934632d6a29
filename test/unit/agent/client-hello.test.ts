import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readClientHello, sniMatches } from '../../../agent/routing/client-hello.ts';
import { awaitClientHello } from '../../../agent/tcp-proxy.ts';

/** The first flight of a real Node TLS client (its ClientHello), captured by a plain TCP server. */
async function helloOf(opts: { servername?: string; host?: string }): Promise<Buffer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const got = new Promise<Buffer>((resolve) => server.once('connection', (s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (readClientHello(buf) !== 'more') {
        s.destroy();
        resolve(buf);
      }
    });
  }));
  const c = connect({ port: (server.address() as AddressInfo).port, host: opts.host ?? '127.0.0.1', servername: opts.servername, rejectUnauthorized: false });
  c.on('error', () => {});
  const buf = await got;
  c.destroy();
  server.close();
  return buf;
}

/** The same handshake message framed in two TLS records. */
function splitRecords(hello: Buffer, at: number): Buffer {
  const body = hello.subarray(5);
  const rec = (part: Buffer) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 0xff]), part]);
  return Buffer.concat([rec(body.subarray(0, at)), rec(body.subarray(at))]);
}

test('a real ClientHello: its server name, lower case; none when the client sends none', async () => {
  const hello = await helloOf({ servername: 'Secure.Default' });
  assert.equal(readClientHello(hello), { sni: 'secure.default' });
  assert.equal(readClientHello(await helloOf({ servername: '' })), { sni: undefined });
});

test('every prefix of a ClientHello asks for more; a hello split over two records still reads', async () => {
  const hello = await helloOf({ servername: 'api' });
  for (const n of [1, 4, 5, 6, 9, 40, hello.length - 1]) assert.is(readClientHello(hello.subarray(0, n)), 'more', `prefix of ${n}`);
  const split = splitRecords(hello, 20);
  assert.equal(readClientHello(split), { sni: 'api' });
  assert.is(readClientHello(split.subarray(0, split.length - 3)), 'more');
  assert.equal(readClientHello(Buffer.concat([hello, Buffer.from('trailing')])), { sni: 'api' }, 'bytes after the hello are not read');
});

test('not TLS: plaintext, another record type, a ServerHello, a truncated length field', () => {
  assert.is(readClientHello(Buffer.from('GET / HTTP/1.1\r\n')), 'not-tls');
  assert.is(readClientHello(Buffer.from([0x17, 0x03, 0x03, 0x00, 0x10])), 'not-tls');
  assert.is(readClientHello(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00])), 'not-tls');
  const bad = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0x03, 0x03, 0xff, 0xff]);
  assert.is(readClientHello(bad), 'not-tls', 'a body too short for its fields');
  assert.is(readClientHello(Buffer.alloc(0)), 'more');
});

test('sniMatches: exact, wildcard prefix (not the bare parent), *', () => {
  assert.ok(sniMatches('api', ['web', 'api']));
  assert.not.ok(sniMatches('api2', ['api']));
  assert.ok(sniMatches('a.example.com', ['*.example.com']));
  assert.ok(sniMatches('a.b.example.com', ['*.example.com']));
  assert.not.ok(sniMatches('example.com', ['*.example.com']));
  assert.not.ok(sniMatches('badexample.com', ['*.example.com']));
  assert.ok(sniMatches('anything', ['*']));
});

test('awaitClientHello: a client that resets mid-hello is dropped, not routed when the wait ends', async () => {
  const hello = await helloOf({ servername: 'api' });
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  let routed = 0;
  const waiting = new Promise<void>((resolve) => server.once('connection', (s) => {
    s.on('error', () => {}); // as TcpProxy.handle does
    s.once('data', (first: Buffer) => {
      s.pause();
      awaitClientHello(s, first, () => routed++, 200);
      resolve();
    });
  }));
  const c = createConnection((server.address() as AddressInfo).port, '127.0.0.1');
  c.write(hello.subarray(0, 10));
  await waiting;
  c.resetAndDestroy(); // a reset: no 'end' on the agent's side, only 'close'
  c.on('error', () => {});
  await new Promise((r) => setTimeout(r, 400));
  server.close();
  assert.is(routed, 0);
});

test.run();
