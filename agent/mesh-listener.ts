import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createH2Server, type Http2Server, type Http2Session } from 'node:http2';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { AgentError } from './agent-error.ts';
import { replaySocket } from './replay-socket.ts';
import type { HttpProxy } from './http-proxy.ts';
import type { ListenerBinding, TrafficCounters } from './proxy-context.ts';
import { sniffProtocol } from './sniff-protocol.ts';
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
}

const DRAIN_POLL_MS = 25;

/**
 * One capture listener: accepts TCP, sniffs the first bytes, and hands HTTP/1.x connections to a
 * node:http server (keep-alive), HTTP/2 prior-knowledge connections (h2c, gRPC) to a node:http2
 * server, and anything else to the opaque TCP path.
 */
export class MeshListener {
  readonly binding: ListenerBinding;
  readonly #opts: MeshListenerOptions;
  readonly #server: Server;
  readonly #http: HttpServer;
  readonly #h2: Http2Server;
  readonly #sessions = new Map<Http2Session, string>();
  #nextPeer = '';
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
    // HTTP/2 cleartext with prior knowledge (gRPC): the compatibility API, so the data path is shared.
    this.#h2 = createH2Server({}, (req, res) => {
      const peer = this.#sessions.get(req.stream.session!) ?? '';
      opts.http.handle(req as unknown as IncomingMessage, res, opts.binding, true, peer);
    });
    this.#h2.on('session', (session: Http2Session) => {
      // Emitted from within emit('connection'): #nextPeer is that connection's address.
      this.#sessions.set(session, this.#nextPeer);
      session.on('error', () => {});
      session.once('close', () => this.#sessions.delete(session));
      if (this.#draining) session.close();
    });
    this.#http.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new AgentError('AGENT_ERR_LISTEN', `${this.#opts.host}:${this.#opts.port}`, { cause: err }));
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
    let head: Buffer = Buffer.alloc(0);
    const decide = (kind: 'http' | 'h2' | 'tcp') => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      if (this.#draining && head.length === 0) {
        socket.destroy();
      } else if (kind === 'http') {
        this.#busy.set(socket, 0);
        socket.unshift(head);
        this.#http.emit('connection', socket);
        socket.resume();
      } else if (kind === 'h2') {
        this.#nextPeer = socket.remoteAddress ?? '';
        this.#h2.emit('connection', replaySocket(socket, head));
        socket.resume();
      } else {
        this.#opts.tcp.handle(socket, head, this.binding);
      }
    };
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const kind = sniffProtocol(head);
      if (kind !== 'more') decide(kind);
    };
    // Timers run before I/O polling: after a busy stretch the timeout can fire while the client's
    // bytes already wait in the socket. Let one poll phase deliver them before calling it TCP.
    const timer = setTimeout(() => setImmediate(() => {
      if (!socket.destroyed && socket.listeners('data').includes(onData)) decide('tcp');
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
