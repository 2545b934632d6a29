import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { randomIds } from './random-ids.ts';
import { canonicalRequest } from './canonical/canonical-request.ts';
import { forwardHeaders } from './forward-headers.ts';
import { XFCC_HEADER } from './identity/xfcc.ts';
import { authorizeRequest } from './mtls/authorize-request.ts';
import { peerOf } from './mtls/verified-peer.ts';
import { peerAddress } from './http-proxy.ts';
import { listenerService, type ListenerBinding, type ProxyContext } from './proxy-context.ts';
import { resolveHttpDestination, type RouteTable } from './route-table.ts';
import { RequestFacts } from './routing/request-facts.ts';

/** Outcome of {@link routeUpgrade}. */
export type UpgradeRoute = { kind: 'endpoint'; host: string; port: number; serverId?: string } | { kind: 'refuse'; status: string };

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
  const e = endpoint.endpoint;
  return e.serverId ? { kind: 'endpoint', host: e.dialHost, port: e.dialPort, serverId: e.serverId } : { kind: 'endpoint', host: e.dialHost, port: e.dialPort };
}

/**
 * The request head to send upstream for an Upgrade request (pure): request line, filtered headers,
 * extra headers, then `Connection: Upgrade` and the `Upgrade` value.
 */
export function upgradeHead(method: string, url: string, raw: readonly string[], extra: readonly string[], upgrade: string): string {
  const head = forwardHeaders(raw);
  const lines = [`${method} ${url} HTTP/1.1`];
  const all = [...head.headers, ...extra];
  if (!head.requestId) all.push('x-request-id', randomIds.uuid());
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
    let serverId: string | undefined;
    let extra: readonly string[] = [];
    const canon = canonicalRequest(req.rawHeaders, req.method ?? 'GET', req.url ?? '/', req.headers.host);
    if (canon.reject !== undefined) return refuse(socket, '400 Bad Request');
    if (binding.direction === 'inbound') {
      ctx.counters.inbound.requests++;
      const peer = peerOf(socket);
      if (table?.authz.enforcing && !authorizeRequest(table.authz, req, peer, canon, binding.port).allow) {
        return refuse(socket, '403 Forbidden');
      }
      if (peer) extra = [XFCC_HEADER, peer.xfcc];
      host = binding.appHost ?? ctx.appHost;
      port = binding.port;
    } else {
      ctx.counters.outbound.requests++;
      if (!table) return refuse(socket, '503 Service Unavailable');
      const choice = routeUpgrade(table, req, binding);
      if (choice.kind === 'refuse') return refuse(socket, choice.status);
      host = choice.host;
      port = choice.port;
      serverId = choice.serverId;
      extra = table.sourceHeaders;
    }
    const text = upgradeHead(req.method ?? 'GET', canon.target, req.rawHeaders, extra, req.headers.upgrade ?? 'websocket');
    let connected = false;
    let gone = false;
    const up = (upstream: Socket) => {
      connected = true;
      upstream.on('error', () => upstream.destroy());
      if (gone) return upstream.destroy();
      upstream.write(text);
      if (head.length > 0) upstream.write(head);
      pipeline(socket, upstream, () => {});
      pipeline(upstream, socket, () => {});
    };
    socket.once('close', () => {
      gone = true;
      if (!connected) plain?.destroy();
    });
    let plain: Socket | undefined;
    if (serverId) {
      ctx.mesh.connect(host, port, serverId, ['http/1.1'], 10_000, (err, s) => {
        if (err) {
          if (!gone) refuse(socket, '503 Service Unavailable');
          return;
        }
        up(s!);
      });
      return;
    }
    plain = connect({ host, port, noDelay: true });
    plain.once('error', () => {
      if (!connected) refuse(socket, '503 Service Unavailable');
    });
    plain.once('connect', () => up(plain!));
  }
}
