/**
 * The agent's side of mutual TLS at run time: the workload certificate in force, the inbound TLS
 * servers that present it, and the client contexts new upstream connections use.
 *
 * One client `SecureContext` per certificate generation (built on rotation, never per connection);
 * on rotation every registered inbound `tls.Server` gets `setSecureContext()`, so connections already
 * open keep their context and none is dropped. Client TLS sessions are cached per (target, expected
 * identity) so a new connection to a known peer agent resumes instead of doing a full handshake.
 */
import type { buildConnector } from 'undici';
import type { X509Certificate } from 'node:crypto';
import type * as tls from 'node:tls';
import { awaitConnect } from '../await-connect.ts';
import { secureContextOptions, type IdentityMaterial } from '../identity/tls-options.ts';
import { verifyPeer } from '../identity/verify-peer.ts';
import { nodeCrypto, nodeTls } from '../lazy-builtins.ts';

/** Counts of completed TLS handshakes, for `dockmesh_tls_handshakes_total`. */
export interface HandshakeCounts {
  inbound: number;
  inboundResumed: number;
  outbound: number;
  outboundResumed: number;
}

/** Default connect timeout of mTLS upstream connections (Istio's connectTimeout). */
const CONNECT_TIMEOUT_MS = 10_000;
/** Cached client sessions at most (one per peer target and identity). */
const SESSION_LIMIT = 1000;

/** ALPN the client offers: what the upstream pool speaks. */
const ALPN_H1 = ['http/1.1'];
const ALPN_H2 = ['h2', 'http/1.1'];

function connectError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

export class MeshTls {
  readonly handshakes: HandshakeCounts = { inbound: 0, inboundResumed: 0, outbound: 0, outboundResumed: 0 };
  readonly #servers = new Set<tls.Server>();
  /** Client sessions by peer target and identity, with the expiry (epoch ms) of the certificate each was made with. */
  readonly #sessions = new Map<string, { session: Buffer; peerValidTo: number }>();
  #waiting: Array<(err?: Error) => void> = [];
  #serverOptions: tls.SecureContextOptions | undefined;
  #clientContext: tls.SecureContext | undefined;
  #spiffeId: string | undefined;
  #enabled = false;
  #closed = false;
  #expiry: () => number = () => Number.NaN;
  /** The trust bundle's roots, parsed (for checking the peer of a resumed session). */
  #roots: X509Certificate[] = [];

  /**
   * True once the agent has an identity source (a CA through the control server, or a static
   * identity): meshed endpoints are then dialled with mTLS, even before the first certificate arrives
   * (their connections wait for it).
   */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** A certificate is held. */
  get ready(): boolean {
    return this.#clientContext !== undefined;
  }

  /** Our SPIFFE ID, once a certificate is held. */
  get spiffeId(): string | undefined {
    return this.#spiffeId;
  }

  /** Turns mTLS on; `expirySeconds` feeds `dockmesh_cert_expiry_seconds`. */
  enable(expirySeconds: () => number): void {
    this.#enabled = true;
    this.#expiry = expirySeconds;
  }

  /** Seconds until the held leaf expires (NaN without one). */
  expirySeconds(): number {
    return this.#expiry();
  }

  /** New material (first issuance, renewal, new trust bundle): new contexts for new connections only. */
  apply(material: IdentityMaterial, spiffeId: string): void {
    if (this.#closed) return;
    const options = secureContextOptions(material);
    this.#serverOptions = options;
    this.#clientContext = nodeTls().createSecureContext(options);
    this.#spiffeId = spiffeId;
    this.#roots = material.trustBundle.map((pem) => new (nodeCrypto().X509Certificate)(pem));
    // Sessions were made with the old client certificate; peers would keep seeing it.
    this.#sessions.clear();
    for (const s of this.#servers) s.setSecureContext(options);
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w();
  }

  /**
   * Why the peer certificate of a resumed TLS session is no longer good enough, or undefined when it
   * still is. A resumed session skips the full handshake's chain check: its peer certificate is the
   * one it was made with, so the server agent checks it again here (a session lives 300 s while
   * leaves expire and roots leave the bundle; the client agent offers no session past its server's
   * leaf's expiry, and a new bundle starts new contexts and clears the client's sessions). A leaf is
   * signed by a root directly (pathlen 0).
   */
  resumedPeerProblem(raw: Uint8Array | undefined, now = Date.now()): string | undefined {
    if (!raw || raw.length === 0) return 'no peer certificate';
    let cert: X509Certificate;
    try {
      cert = new (nodeCrypto().X509Certificate)(raw);
    } catch {
      return 'unparsable peer certificate';
    }
    if (Date.parse(cert.validTo) <= now) return `peer certificate expired (${cert.validTo})`;
    if (Date.parse(cert.validFrom) > now) return `peer certificate not yet valid (${cert.validFrom})`;
    if (!this.#roots.some((r) => cert.checkIssued(r) && cert.verify(r.publicKey))) return 'peer certificate not issued by a root in the trust bundle';
    return undefined;
  }

  /** Registers an inbound TLS server: it gets the current certificate now and every later one. */
  register(server: tls.Server): void {
    this.#servers.add(server);
    if (this.#serverOptions) server.setSecureContext(this.#serverOptions);
    server.on('secureConnection', (s: tls.TLSSocket) => {
      this.handshakes.inbound++;
      if (s.isSessionReused()) this.handshakes.inboundResumed++;
    });
  }

  unregister(server: tls.Server): void {
    this.#servers.delete(server);
  }

  #whenReady(run: (err?: Error) => void): void {
    if (this.#closed) return run(connectError('mesh TLS closed', 'UND_ERR_CLOSED'));
    if (this.#clientContext) return run();
    this.#waiting.push(run);
  }

  /**
   * A TLS connection to a peer agent that must present `serverId`; `alpn` as the caller speaks
   * (none for opaque TCP: the server agent sniffs the decrypted bytes). Waits for our certificate.
   * `done` is called once: with the connected socket, or an error.
   */
  connect(host: string, port: number, serverId: string, alpn: string[] | undefined, timeoutMs: number, done: (err: Error | null, socket?: tls.TLSSocket) => void): void {
    this.#whenReady((notReady) => {
      if (notReady) return done(notReady);
      const key = `${host}:${port}|${serverId}|${alpn?.[0] ?? ''}`;
      // A session is offered only while the certificate it was made with is valid: a resumed
      // session skips the full handshake's checks, and the client cannot see the server's
      // certificate on one (Node gives none), so the cache keeps its expiry.
      const cached = this.#sessions.get(key);
      const usable = cached !== undefined && cached.peerValidTo > Date.now();
      if (cached && !usable) this.#sessions.delete(key);
      const options: tls.ConnectionOptions = {
        host,
        port,
        secureContext: this.#clientContext,
        rejectUnauthorized: true,
        checkServerIdentity: (_host, cert) => {
          const r = verifyPeer(cert, [serverId]);
          return r.ok ? undefined : connectError(`secure naming: ${r.reason}`, 'ERR_MESH_SECURE_NAMING');
        },
        session: usable ? cached.session : undefined,
      };
      if (alpn) options.ALPNProtocols = alpn;
      const socket = nodeTls().connect(options);
      socket.setNoDelay(true);
      socket.on('session', (session: Buffer) => {
        const peerValidTo = socket.isSessionReused() ? (cached?.peerValidTo ?? 0) : Date.parse(socket.getPeerCertificate().valid_to ?? '');
        if (!(peerValidTo > Date.now())) return;
        if (this.#sessions.size >= SESSION_LIMIT && !this.#sessions.has(key)) this.#sessions.delete(this.#sessions.keys().next().value!);
        this.#sessions.set(key, { session, peerValidTo });
      });
      awaitConnect(socket, 'secureConnect', timeoutMs, () => connectError(`connect timeout (${timeoutMs} ms)`, 'UND_ERR_CONNECT_TIMEOUT'), (err) => {
        if (err) return done(err);
        this.handshakes.outbound++;
        if (socket.isSessionReused()) this.handshakes.outboundResumed++;
        done(null, socket);
      });
    });
  }

  /** An undici connector for a pool whose endpoint is a peer agent presenting `serverId`. */
  connector(serverId: string, allowH2: boolean, timeoutMs = CONNECT_TIMEOUT_MS): buildConnector.connector {
    const alpn = allowH2 ? ALPN_H2 : ALPN_H1;
    return (o, callback) => {
      this.connect(o.hostname, Number(o.port), serverId, alpn, timeoutMs, (err, socket) => {
        if (err) callback(err, null);
        else callback(null, socket!);
      });
    };
  }

  /** Fails connections waiting for a certificate and stops rotating servers. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#servers.clear();
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w(connectError('mesh TLS closed', 'UND_ERR_CLOSED'));
  }
}
