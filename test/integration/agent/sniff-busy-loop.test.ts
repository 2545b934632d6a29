/**
 * Regression: when the agent's event loop was busy past the sniff timeout, the timeout fired (timers
 * run before I/O polling) although the client's first bytes had already arrived, and a plaintext
 * HTTP keep-alive connection was piped as opaque TCP for its whole life (no routing, no metrics).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Server, type AddressInfo, type Socket } from 'node:net';
import { MeshListener } from '../../../agent/mesh-listener.ts';
import type { HttpProxy } from '../../../agent/http-proxy.ts';
import type { TcpProxy } from '../../../agent/tcp-proxy.ts';
import type { UpgradeProxy } from '../../../agent/upgrade-proxy.ts';
import type { ListenerBinding } from '../../../agent/proxy-context.ts';
import { runCommand } from '../../support/run-command.ts';

test('an HTTP request that arrived while the loop was busy is still HTTP', async () => {
  const seen: string[] = [];
  const listener = new MeshListener({
    host: '127.0.0.1',
    port: 0,
    binding: { direction: 'inbound' } as unknown as ListenerBinding,
    http: { handle: (_req: unknown, res: { end(s: string): void }) => { seen.push('http'); res.end('http'); } } as unknown as HttpProxy,
    tcp: { handle: (s: Socket) => { seen.push('tcp'); s.end('tcp'); } } as unknown as TcpProxy,
    upgrade: {} as UpgradeProxy,
    counters: { requests: 0, connections: 0, activeConnections: 0 },
    sniffTimeoutMs: 50,
  });
  const port = await listener.listen();
  // Block this process's loop right after the listener accepted (its sniff timer is set by then),
  // long past the timeout, while the client (another process) has already sent its request.
  let blocked = false;
  const block = () => {
    if (blocked) return;
    blocked = true;
    const until = Date.now() + 300;
    while (Date.now() < until);
  };
  // The listener's net.Server emits 'connection' to this extra handler right after its own.
  const servers = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().filter((h): h is Server => h instanceof Server);
  const target = servers.find((s) => (s.address() as AddressInfo | null)?.port === port)!;
  target.on('connection', block);
  const client = runCommand(process.execPath, ['-e', `
    const s = require('node:net').connect(${port}, '127.0.0.1', () => s.write('GET / HTTP/1.1\\r\\nhost: x\\r\\nconnection: close\\r\\n\\r\\n'));
    let out = ''; s.on('data', (d) => out += d); s.on('close', () => { console.log(out.split('\\r\\n')[0] || out); });
  `], { timeoutMs: 10_000 });
  const r = await client;
  await listener.close(100);
  assert.ok(blocked, 'the loop was blocked while the request arrived');
  assert.equal(seen, ['http']);
  assert.match(r.stdout, /HTTP\/1\.1 200/);
});

test.run();
