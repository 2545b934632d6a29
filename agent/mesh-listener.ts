import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Http2Server, Http2Session } from 'node:http2';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type * as tls from 'node:tls';
import { listenError } from './agent-error.ts';
import { replaySocket } from './replay-socket.ts';
import type { HttpProxy } from './http-proxy.ts';
import { MESH_ALPN } from './identity/tls-options.ts';
import type { InboundGuard } from './mtls/inbound-guard.ts';
import { peerOf, setPeer, type VerifiedPeer } from './mtls/verified-peer.ts';
import type { ListenerBinding, TrafficCounters } from './proxy-context.ts';
import { sniffProtocol } from './sniff-protocol.ts';
import { nodeHttp2, nodeTls } from './lazy-builtins.ts';
import type { TcpProxy } from './tcp-proxy.ts';
import type { UpgradeProxy } from './upgrade-proxy.ts';

/** Constructor input of {@link MeshListener}. */
export interface MeshListenerOptions {
  host: string;
  port: number;
  binding: ListenerBinding;
  http: HttpProxy;
  tcp: TcpProxy;
  upgrade: UpgradeProxy;
  counters: TrafficCounters;
  /** A client that sends nothing this long is treated as opaque TCP (server-first protocols). */
  sniffTimeoutMs?: number;
  /** Inbound listeners: PeerAuthentication and mTLS termination. Absent: plaintext only. */
  guard?: InboundGuard;
}

const EMPTY = Buffer.alloc(0);
/** A peer agent that has not finished its TLS handshake in this time is dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

const DRAIN_POLL_MS = 25;

/**
 * One capture listener: accepts TCP, sniffs the first bytes, and hands HTTP/1.x connections to a
 * node:http server (keep-alive), HTTP/2 prior-knowledge connections (h2c, gRPC) to a node:http2
 * server, and anything else to the opaque TCP path. An inbound listener with a guard first applies
 * the port's mTLS mode to the first byte: a TLS handshake goes to the listener's TLS server (client
 * certificate required, peer verified and attached to the socket), whose decrypted stream is then
 * sniffed the same way (ALPN h2 and http/1.1 included); plaintext is refused under STRICT before a
 * byte reaches the app.
 */
export class MeshListener {
  readonly binding: ListenerBinding;
  readonly #opts: MeshListenerOptions;
  readonly #server: Server;
  readonly #http: HttpServer;
  /** Made with the first HTTP/2 connection ({@link nodeHttp2}). */
  #h2Server: Http2Server | undefined;
  /** Made with the first TLS handshake of an inbound listener with a guard ({@link MeshListener.#tls}). */
  #tlsServer: tls.Server | undefined;
  readonly #sessions = new Map<Http2Session, string>();
  #nextPeer = '';
  #nextVerified: VerifiedPeer | undefined;
  readonly #sockets = new Set<Socket>();
  // Requests in flight per HTTP connection. node:http's own idle tracking only starts when that
  // server listens itself, which ours never does (connections are handed to it).
  readonly #busy = new Map<Socket, number>();
  #draining = false;
  #closing: Promise<void> | undefined;
  port = 0;

  constructor(opts: MeshListenerOptions) {
    this.#opts = opts;
    this.binding = opts.binding;
    this.#server = createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.#accept(s));
    this.#http = createHttpServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
      const socket = req.socket;
      this.#busy.set(socket, (this.#busy.get(socket) ?? 0) + 1);
      res.once('close', () => this.#busy.set(socket, this.#busy.get(socket)! - 1));
      if (this.#draining) res.setHeader('connection', 'close');
      opts.http.handle(req, res, opts.binding);
    });
    this.#http.on('upgrade', (req, socket: Socket, head: Buffer) => {
      // Upgraded connections are no longer HTTP: drain waits for them like opaque TCP.
      this.#busy.delete(socket);
      opts.upgrade.handle(req, socket, head, opts.binding);
    });
    this.#http.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  /** The HTTP/2 server (cleartext with prior knowledge, or h2 by ALPN), made on first use. */
  get #h2(): Http2Server {
    if (this.#h2Server) return this.#h2Server;
    const opts = this.#opts;
    // The compatibility API, so the data path is shared.
    const h2 = nodeHttp2().createServer({}, (req, res) => {
      const peer = this.#sessions.get(req.stream.session!) ?? '';
      opts.http.handle(req as unknown as IncomingMessage, res, opts.binding, true, peer);
    });
    h2.on('session', (session: Http2Session) => {
      // Emitted from within emit('connection'): #nextPeer is that connection's address.
      this.#sessions.set(session, this.#nextPeer);
      // The verified peer goes on the session's socket, which every request's req.socket reads through.
      if (this.#nextVerified) setPeer(session.socket, this.#nextVerified);
      session.on('error', () => {});
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.close();
    });
    return (this.#h2Server = h2);
  }

  /**
   * The TLS server of an inbound listener with a guard (client certificate required), made with the
   * first handshake (node:tls loads then). The guard registers it, so it gets the current
   * certificate and every later one.
   */
  get #tls(): tls.Server {
    if (this.#tlsServer) return this.#tlsServer;
    const server = nodeTls().createServer(
      { requestCert: true, rejectUnauthorized: true, ALPNProtocols: [...MESH_ALPN], handshakeTimeout: HANDSHAKE_TIMEOUT_MS },
      (s) => this.#secure(s),
    );
    server.on('tlsClientError', (_err, s) => s.destroy());
    this.#opts.guard!.register(server);
    // Made while draining (a connection accepted before the close): it keeps the certificate it was
    // given, but close() has already unregistered this listener, so the guard must not keep it.
    if (this.#draining) this.#opts.guard!.unregister(server);
    return (this.#tlsServer = server);
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) =>
        reject(listenError(this.#opts.host, this.#opts.port, err));
      this.#server.once('error', onError);
      this.#server.listen(this.#opts.port, this.#opts.host, () => {
        this.#server.off('error', onError);
        this.port = (this.#server.address() as AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  #accept(socket: Socket): void {
    const counters = this.#opts.counters;
    counters.connections++;
    counters.activeConnections++;
    this.#sockets.add(socket);
    socket.once('close', () => {
      counters.activeConnections--;
      this.#sockets.delete(socket);
      this.#busy.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    const guard = this.binding.direction === 'inbound' ? this.#opts.guard : undefined;
    const pending = guard?.modePending();
    if (!pending) return this.#sniff(socket, guard);
    // Before the first snapshot the port's mTLS mode is not known: the connection waits for it,
    // unread (its bytes stay in the socket), then is sniffed as usual (the guard refuses it if the
    // snapshot did not come in time).
    void pending.then(() => {
      if (!socket.destroyed) this.#sniff(socket, guard);
    });
  }

  /**
   * A verified peer agent's connection. The client agent names the protocol with ALPN (http/1.1,
   * h2; none for opaque TCP), so nothing is sniffed: a request that arrives late (a busy peer) can
   * never be taken for opaque TCP.
   */
  #secure(socket: tls.TLSSocket): void {
    socket.on('error', () => socket.destroy());
    const peer = this.#opts.guard!.accept(socket);
    if (typeof peer === 'string') {
      socket.destroy();
      return;
    }
    socket.once('close', () => this.#busy.delete(socket));
    const alpn = socket.alpnProtocol;
    socket.pause();
    this.#handOff(socket, alpn === 'http/1.1' ? 'http' : alpn === 'h2' ? 'h2' : 'tcp', EMPTY);
  }

  /** Gives a connection to the HTTP/1.1 server, the HTTP/2 server or the opaque TCP path. */
  #handOff(socket: Socket, kind: 'http' | 'h2' | 'tcp', head: Buffer): void {
    if (this.#draining && head.length === 0) {
      socket.destroy();
    } else if (kind === 'http') {
      this.#busy.set(socket, 0);
      if (head.length > 0) socket.unshift(head);
      this.#http.emit('connection', socket);
      socket.resume();
    } else if (kind === 'h2') {
      this.#nextPeer = socket.remoteAddress ?? '';
      this.#nextVerified = peerOf(socket);
      this.#h2.emit('connection', replaySocket(socket, head));
      socket.resume();
    } else {
      this.#opts.tcp.handle(socket, head, this.binding);
    }
  }

  /**
   * Reads the first bytes of `socket`, then hands it on: refused or to TLS (`guard`: the raw
   * connection of an inbound listener), or by protocol ({@link MeshListener.#handOff}).
   */
  #sniff(socket: Socket, guard: InboundGuard | undefined): void {
    let head: Buffer = EMPTY;
    const stop = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
    };
    const decide = (kind: 'http' | 'h2' | 'tcp') => {
      stop();
      this.#handOff(socket, kind, head);
    };
    // PeerAuthentication: decided once, on the first byte (or on silence).
    const guarded = (first: Buffer): boolean => {
      const action = guard!.action(this.binding.port, first);
      guard = undefined;
      if (action === 'plaintext') return false;
      stop();
      if (action === 'refuse') {
        socket.destroy();
      } else {
        socket.unshift(head);
        this.#tls.emit('connection', socket);
      }
      return true;
    };
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (guard && guarded(head)) return;
      const kind = sniffProtocol(head);
      if (kind !== 'more') decide(kind);
    };
    // Timers run before I/O polling: after a busy stretch the timeout can fire while the client's
    // bytes already wait in the socket. Let one poll phase deliver them before deciding on silence
    // (which STRICT refuses: a peer agent's ClientHello must not be taken for a silent client).
    const timer = setTimeout(() => setImmediate(() => {
      if (socket.destroyed || !socket.listeners('data').includes(onData)) return;
      if (guard && guarded(EMPTY)) return;
      decide('tcp');
    }), this.#opts.sniffTimeoutMs ?? 200);
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(timer));
  }

  /**
   * Stops accepting, lets in-flight requests finish (idle keep-alive connections are closed, busy ones
   * close after their response), and destroys what is left after `graceMs`. Idempotent.
   */
  close(graceMs = 5000): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#draining = true;
      this.#server.close();
      // HTTP/2: GOAWAY, streams in flight finish, then the session closes its socket.
      for (const session of this.#sessions.keys()) session.close();
      if (this.#tlsServer) this.#opts.guard!.unregister(this.#tlsServer);
      const deadline = Date.now() + graceMs;
      const poll = () => {
        for (const [socket, n] of this.#busy) if (n === 0) socket.destroy();
        if (this.#sockets.size === 0) return resolve();
        if (Date.now() >= deadline) {
          this.destroy();
          return resolve();
        }
        setTimeout(poll, DRAIN_POLL_MS);
      };
      poll();
    });
    return this.#closing;
  }

  /** Closes the listener and every connection now. Idempotent. */
  destroy(): void {
    this.#draining = true;
    if (this.#server.listening) this.#server.close();
    for (const s of this.#sockets) s.destroy();
  }
}
