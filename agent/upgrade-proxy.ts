import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { forwardHeaders } from './forward-headers.ts';
import { peerAddress } from './http-proxy.ts';
import { listenerService, type ListenerBinding, type ProxyContext } from './proxy-context.ts';
import { resolveHttpDestination, type RouteTable } from './route-table.ts';
import { RequestFacts } from './routing/request-facts.ts';

/** Outcome of {@link routeUpgrade}. */
export type UpgradeRoute = { kind: 'endpoint'; host: string; port: number } | { kind: 'refuse'; status: string };

/**
 * Where an outbound Upgrade request goes: the destination's VirtualService route (or default route),
 * its weighted destination and that cluster's balancer. Rewrites, retries and timeouts do not apply
 * to upgraded connections.
 */
export function routeUpgrade(table: RouteTable, req: IncomingMessage, binding: ListenerBinding): UpgradeRoute {
  const host = req.headers.host;
  const dest = resolveHttpDestination(table, host, listenerService(table, binding), binding.port);
  if (!dest) return { kind: 'refuse', status: '404 Not Found' };
  let route = dest.service.defaultRoute;
  if (dest.service.router) {
    const facts = new RequestFacts(req.method ?? 'GET', req.url ?? '/', host ?? '', 'http', dest.port, req.headers, peerAddress(req));
    const r = dest.service.router.match(facts);
    if (!r) return { kind: 'refuse', status: '404 Not Found' };
    route = r;
  }
  if (route.directResponse || route.redirect) return { kind: 'refuse', status: '404 Not Found' };
  const t = route.pickTarget();
  const chain = t?.chains.get(t.port ?? dest.port);
  const endpoint = chain?.cluster.pick([], undefined, undefined);
  if (!endpoint) return { kind: 'refuse', status: '503 Service Unavailable' };
  return { kind: 'endpoint', host: endpoint.endpoint.dialHost, port: endpoint.endpoint.dialPort };
}

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
      const choice = routeUpgrade(table, req, binding);
      if (choice.kind === 'refuse') return refuse(socket, choice.status);
      host = choice.host;
      port = choice.port;
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
