import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { forwardHeaders } from './forward-headers.ts';
import { listenerService, type ListenerBinding, type ProxyContext } from './proxy-context.ts';
import { pickHttpUpstream } from './route-table.ts';

/**
 * The request head to send upstream for an Upgrade request (pure): request line, filtered headers,
 * extra headers, then `Connection: Upgrade` and the `Upgrade` value.
 */
export function upgradeHead(method: string, url: string, raw: readonly string[], extra: readonly string[], upgrade: string): string {
  const head = forwardHeaders(raw);
  const lines = [`${method} ${url} HTTP/1.1`];
  const all = [...head.headers, ...extra];
  if (!head.requestId) all.push('x-request-id', randomUUID());
  for (let i = 0; i < all.length; i += 2) lines.push(`${all[i]}: ${all[i + 1]}`);
  lines.push('Connection: Upgrade', `Upgrade: ${upgrade}`, '', '');
  return lines.join('\r\n');
}

function refuse(socket: Socket, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}

/**
 * HTTP Upgrade (WebSocket and the like): picks the upstream like a plain request, replays the request
 * head, then pipes the two connections both ways; the upstream's 101 answer passes through untouched.
 */
export class UpgradeProxy {
  readonly #ctx: ProxyContext;

  constructor(ctx: ProxyContext) {
    this.#ctx = ctx;
  }

  /** Handles a listener HTTP server's 'upgrade' event. Never throws. */
  handle(req: IncomingMessage, socket: Socket, head: Buffer, binding: ListenerBinding): void {
    const ctx = this.#ctx;
    const table = ctx.tables.current;
    socket.on('error', () => socket.destroy());
    let host: string;
    let port: number;
    let extra: readonly string[] = [];
    if (binding.direction === 'inbound') {
      ctx.counters.inbound.requests++;
      host = ctx.appHost;
      port = binding.port;
    } else {
      ctx.counters.outbound.requests++;
      if (!table) return refuse(socket, '503 Service Unavailable');
      const choice = pickHttpUpstream(table, req.headers.host, listenerService(table, binding), binding.port);
      if (choice.kind === 'no-service') return refuse(socket, '404 Not Found');
      if (choice.kind === 'no-endpoint') return refuse(socket, '503 Service Unavailable');
      host = choice.endpoint.dialHost;
      port = choice.endpoint.dialPort;
      extra = table.sourceHeaders;
    }
    const text = upgradeHead(req.method ?? 'GET', req.url ?? '/', req.rawHeaders, extra, req.headers.upgrade ?? 'websocket');
    const upstream = connect({ host, port, noDelay: true });
    let connected = false;
    upstream.once('error', () => {
      if (!connected) refuse(socket, '503 Service Unavailable');
    });
    socket.once('close', () => {
      if (!connected) upstream.destroy();
    });
    upstream.once('connect', () => {
      connected = true;
      upstream.write(text);
      if (head.length > 0) upstream.write(head);
      pipeline(socket, upstream, () => {});
      pipeline(upstream, socket, () => {});
    });
  }
}
