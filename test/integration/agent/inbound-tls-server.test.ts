/**
 * An inbound listener makes its TLS server with the first TLS handshake (node:tls loads then) and
 * registers it with the guard, which gives it every rotated certificate. A listener that is
 * closed unregisters it: also when the first handshake arrives after the close began (a connection
 * accepted before, still being sniffed), or the guard would hold the server for the agent's life.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { MeshListener } from '../../../agent/mesh-listener.ts';
import type { HttpProxy } from '../../../agent/http-proxy.ts';
import type { InboundGuard } from '../../../agent/mtls/inbound-guard.ts';
import type { TcpProxy } from '../../../agent/tcp-proxy.ts';
import type { UpgradeProxy } from '../../../agent/upgrade-proxy.ts';
import type { ListenerBinding } from '../../../agent/proxy-context.ts';
import { waitFor } from '../../support/wait-for.ts';

/** A guard that sends every connection to TLS and records the servers registered with it. */
function recordingGuard(): { guard: InboundGuard; registered: Set<TlsServer>; asked: number[] } {
  const registered = new Set<TlsServer>();
  const asked: number[] = [];
  const guard = {
    modePending: () => null,
    action: (port: number) => (asked.push(port), 'tls'),
    register: (s: TlsServer) => void registered.add(s),
    unregister: (s: TlsServer) => void registered.delete(s),
    accept: () => 'not in this test',
  } as unknown as InboundGuard;
  return { guard, registered, asked };
}

function inboundListener(guard: InboundGuard): MeshListener {
  return new MeshListener({
    host: '127.0.0.1',
    port: 0,
    binding: { direction: 'inbound', port: 8080 } as unknown as ListenerBinding,
    http: {} as HttpProxy,
    tcp: { handle: (s: Socket) => s.destroy() } as unknown as TcpProxy,
    upgrade: {} as UpgradeProxy,
    counters: { requests: 0, connections: 0, activeConnections: 0 },
    sniffTimeoutMs: 5000,
    guard,
  });
}

/** The first bytes of a TLS ClientHello record (handshake, TLS 1.0 record version). */
const CLIENT_HELLO_START = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00]);

test('no TLS server before the first handshake; the first one makes and registers it, close unregisters it', async () => {
  const { guard, registered, asked } = recordingGuard();
  const listener = inboundListener(guard);
  const port = await listener.listen();
  assert.is(registered.size, 0, 'nothing registered at start');
  const s = connect(port, '127.0.0.1', () => s.write(CLIENT_HELLO_START));
  s.on('error', () => {});
  await waitFor(() => registered.size === 1, 5000, 'the TLS server registered');
  assert.equal(asked, [8080]);
  s.destroy();
  await listener.close(200);
  assert.is(registered.size, 0, 'unregistered on close');
});

test('a first handshake that arrives while the listener drains leaves no server registered', async () => {
  const { guard, registered, asked } = recordingGuard();
  const listener = inboundListener(guard);
  const port = await listener.listen();
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  // Accepted and being sniffed; the close begins before its first byte.
  await new Promise((r) => setTimeout(r, 50));
  const closed = listener.close(300);
  s.write(CLIENT_HELLO_START);
  await waitFor(() => asked.length === 1, 5000, 'the guard asked about the first byte');
  await closed;
  s.destroy();
  assert.is(registered.size, 0, 'no server left registered with the guard');
});

test.run();
