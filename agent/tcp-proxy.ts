import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream';
import type { AccessLogEntry } from './access-log.ts';
import type { TcpTrack } from './mesh-metrics.ts';
import type { Cluster, ClusterHost } from './cluster.ts';
import { UNKNOWN, type LabelBase } from './istio-labels.ts';
import { inboundHost, listenerService, type ListenerBinding, type ProxyContext } from './proxy-context.ts';
import { defaultCluster, type ServiceRoute } from './route-table.ts';
import { MAX_CLIENT_HELLO, readClientHello } from './routing/client-hello.ts';
import { authorizeConnection } from './mtls/authorize-request.ts';
import { peerOf } from './mtls/verified-peer.ts';
import { isoNow } from './utc-time.ts';

const noop = () => {};
/** Istio's default connectTimeout. */
const CONNECT_TIMEOUT_MS = 10_000;
/** The first byte of a TLS handshake record. */
const TLS_HANDSHAKE = 0x16;
/** How long a ClientHello that arrives in pieces is waited for before the connection is routed as TCP. */
export const CLIENT_HELLO_TIMEOUT_MS = 5000;

/**
 * Reads from `socket` until `head` holds a whole ClientHello (or is no ClientHello, or passes
 * MAX_CLIENT_HELLO bytes, or CLIENT_HELLO_TIMEOUT_MS passes), then calls `done` with every byte read
 * and the server name, if any. A client that ends or resets the connection first is dropped.
 */
export function awaitClientHello(socket: Socket, head: Buffer, done: (all: Buffer, sni: string | undefined) => void, timeoutMs = CLIENT_HELLO_TIMEOUT_MS): void {
  let buf = head;
  let hello = readClientHello(buf);
  const sni = () => (typeof hello === 'object' ? hello.sni : undefined);
  if (hello !== 'more') return done(buf, sni());
  const finish = () => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onGone);
    socket.off('close', onGone);
    socket.pause();
    done(buf, sni());
  };
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    hello = readClientHello(buf);
    if (hello !== 'more' || buf.length >= MAX_CLIENT_HELLO) finish();
  };
  // The client ended or reset the connection before its hello was whole: nothing to route.
  const onGone = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(finish, timeoutMs);
  socket.on('data', onData);
  socket.once('end', onGone);
  socket.once('close', onGone);
  socket.resume();
}

/** What a connection's access log line says besides its outcome, filled in as it goes. */
class TcpConnection {
  readonly start = performance.now();
  readonly direction: 'inbound' | 'outbound';
  readonly source: string;
  readonly destination: string;
  readonly principal: string | undefined;
  upstream: string | null = null;
  attempts = 0;
  /** The server name of the client's TLS ClientHello, when TLS routes read it. */
  sni: string | undefined;

  constructor(direction: 'inbound' | 'outbound', source: string, destination: string, principal?: string) {
    this.direction = direction;
    this.source = source;
    this.destination = destination;
    this.principal = principal;
  }
}

/**
 * The opaque TCP data path. Inbound: the app port. Outbound: the listener's service port, through
 * its VirtualService TCP routes (or the default route) to a cluster; the cluster's balancer picks
 * the endpoint, `connectionPool.tcp.maxConnections` bounds connections in flight (beyond it the
 * connection is closed, flag UO), connect failures count for outlier detection and are tried once
 * more on another endpoint. Pipes both ways, counting bytes for the istio_tcp_* metrics, and writes
 * one access log line per connection when it closes (or is refused), as Envoy's TCP proxy does.
 */
export class TcpProxy {
  readonly #ctx: ProxyContext;

  constructor(ctx: ProxyContext) {
    this.#ctx = ctx;
  }

  /** Takes over `socket`; `head` holds the bytes already read from it while sniffing. */
  handle(socket: Socket, head: Buffer, binding: ListenerBinding): void {
    const ctx = this.#ctx;
    const table = ctx.tables.current;
    socket.on('error', noop);
    if (binding.direction === 'inbound') {
      if (head.length > 0) socket.unshift(head);
      const peer = peerOf(socket);
      const conn = new TcpConnection('inbound', peer?.service ?? UNKNOWN, table?.self.app ?? UNKNOWN, peer?.spiffeId);
      const labels = ctx.inboundLabels.get(table, {}, 'tcp', peer);
      if (table?.authz.enforcing && !authorizeConnection(table.authz, socket, peer, binding.port).allow) {
        ctx.metrics.tcpOpened(labels);
        this.#closed(conn, labels, 'RBAC', 0, 0);
        socket.destroy();
        return;
      }
      const host = inboundHost(ctx, binding);
      conn.upstream = `${host}:${binding.port}`;
      conn.attempts = 1;
      this.#pipe(socket, conn, host, binding.port, undefined, labels, () => {}, () => {
        this.#closed(conn, undefined, 'UF', 0, 0);
        socket.destroy();
      });
      return;
    }
    const service = table ? listenerService(table, binding) : undefined;
    const conn = new TcpConnection('outbound', table?.self.app ?? UNKNOWN, service?.name ?? UNKNOWN);
    if (service?.tls && head.length > 0 && head[0] === TLS_HANDSHAKE) {
      awaitClientHello(socket, head, (all, sni) => {
        socket.unshift(all);
        conn.sni = sni;
        this.#outbound(socket, conn, binding, service);
      });
      return;
    }
    if (head.length > 0) socket.unshift(head);
    this.#outbound(socket, conn, binding, service);
  }

  /**
   * An outbound connection to `service`: by its TLS routes when the client's ClientHello named a
   * server, else its TCP routes, else the default route.
   */
  #outbound(socket: Socket, conn: TcpConnection, binding: ListenerBinding, service: ServiceRoute | undefined): void {
    const ctx = this.#ctx;
    const refuse = (labels: LabelBase | undefined, flag: string) => {
      if (labels) ctx.metrics.tcpOpened(labels);
      this.#closed(conn, labels, flag, 0, 0);
      socket.destroy();
    };
    if (!service) return refuse(undefined, 'NR');
    let cluster: Cluster | undefined | null = null;
    if (service.tls && conn.sni !== undefined) cluster = service.tls.pick(binding.port, conn.sni);
    if (cluster === null) cluster = service.tcp ? service.tcp.pick(binding.port) : defaultCluster(service, binding.port);
    if (cluster === null) return refuse(service.noEndpointTcp, 'NR');
    if (!cluster) return refuse(service.noEndpointTcp, 'UH');
    const b = cluster.state.breaker;
    if (b.active >= b.maxConnections) {
      b.overflows++;
      ctx.traffic.overflow(cluster);
      return refuse(service.noEndpointTcp, 'UO');
    }
    this.#attempt(socket, conn, cluster, [], service.noEndpointTcp);
  }

  #attempt(socket: Socket, conn: TcpConnection, cluster: Cluster, tried: ClusterHost[], noEndpoint: LabelBase): void {
    const host = cluster.pick(tried, undefined, undefined);
    if (!host) {
      this.#ctx.metrics.tcpOpened(noEndpoint);
      this.#closed(conn, noEndpoint, 'UH', 0, 0);
      socket.destroy();
      return;
    }
    tried.push(host);
    host.active++;
    cluster.state.breaker.active++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      host.active--;
      cluster.state.release();
    };
    // A connect is local origin: its success resets the local-origin count, its failure is a 503.
    const record = (code: number) => {
      const d = cluster.state.detector;
      if (d && d.record(host, code, Date.now(), code >= 500)) this.#ctx.traffic.ejected(cluster, host);
    };
    const e = host.endpoint;
    conn.upstream = e.target;
    conn.attempts++;
    this.#pipe(socket, conn, e.dialHost, e.dialPort, e.serverId, e.tcp, () => record(200), () => {
      release();
      record(503);
      if (tried.length < 2 && !socket.destroyed) return this.#attempt(socket, conn, cluster, tried, noEndpoint);
      this.#ctx.metrics.tcpOpened(e.tcp);
      this.#closed(conn, e.tcp, 'UF', 0, 0);
      socket.destroy();
    }, release);
  }

  /**
   * A connection is over: its istio_tcp_connections_closed_total (with `labels`) and its access log
   * line. `sent` / `received`: bytes to and from the downstream side.
   */
  #closed(conn: TcpConnection, labels: LabelBase | undefined, flags: string, sent: number, received: number, track?: TcpTrack): void {
    const ctx = this.#ctx;
    if (labels) ctx.metrics.tcpClosed(labels, flags, sent, received, track);
    const logged = ctx.accessLog.logs(conn.direction);
    if (!logged && !ctx.tap.active) return;
    const duration = performance.now() - conn.start;
    const entry: AccessLogEntry = {
      time: isoNow(),
      trace_id: null,
      request_id: null,
      method: null,
      path: null,
      status: 0,
      duration_ms: Math.round(duration * 1000) / 1000,
      source_service: conn.source,
      destination_service: conn.destination,
      upstream: conn.upstream,
      attempts: conn.attempts,
      response_flags: flags,
      direction: conn.direction,
      protocol: 'tcp',
      bytes_received: received,
      bytes_sent: sent,
    };
    if (conn.sni !== undefined) entry.requested_server_name = conn.sni;
    if (conn.principal !== undefined) entry.source_principal = conn.principal;
    if (logged) ctx.accessLog.write(entry);
    if (ctx.tap.active) ctx.tap.publish(entry);
  }

  /**
   * Connects (with mTLS when `serverId` names the peer agent's identity) and pipes; `onFail` runs
   * when the connect fails, `onClose` when a piped connection ends.
   */
  #pipe(socket: Socket, conn: TcpConnection, host: string, port: number, serverId: string | undefined, labels: LabelBase, onConnect: () => void, onFail: () => void, onClose: () => void = noop): void {
    const metrics = this.#ctx.metrics;
    let upstream: Socket | undefined;
    let connected = false;
    let gone = false;
    const onEarlyError = () => {
      upstream?.destroy();
      if (!gone) onFail();
    };
    const onUp = (up: Socket) => {
      connected = true;
      upstream = up;
      up.off('error', onEarlyError);
      up.on('error', noop);
      if (gone) return up.destroy();
      onConnect();
      metrics.tcpOpened(labels);
      const track = metrics.tcpTrack(labels, socket);
      let open = 2;
      const done = () => {
        if (--open > 0) return;
        onClose();
        this.#closed(conn, labels, '-', socket.bytesWritten, socket.bytesRead, track);
      };
      // Two pipelines over the same pair, plus the listener's own bookkeeping: a fixed dozen of
      // 'close' listeners per connection (not per request), past Node's warning threshold of 10.
      socket.setMaxListeners(20);
      up.setMaxListeners(20);
      pipeline(socket, up, () => done());
      pipeline(up, socket, () => done());
    };
    if (serverId) {
      this.#ctx.mesh.connect(host, port, serverId, undefined, CONNECT_TIMEOUT_MS, (err, tlsSocket) => {
        if (err) return onEarlyError();
        onUp(tlsSocket!);
      });
    } else {
      const plain = connect({ host, port, noDelay: true });
      upstream = plain;
      plain.once('error', onEarlyError);
      plain.once('connect', () => onUp(plain));
    }
    socket.once('close', () => {
      if (!connected) {
        gone = true;
        upstream?.off('error', onEarlyError);
        upstream?.on('error', noop);
        upstream?.destroy();
        onClose();
      }
    });
  }
}
