/**
 * What an inbound listener does with a new connection under the snapshot's PeerAuthentication, and
 * the peer check of the TLS ones. The listener asks `action` with the first bytes (empty when the
 * client stayed silent), terminates TLS with its registered server, and hands the TLS socket to
 * `accept`, which verifies the peer's SPIFFE ID from the raw certificate and records it.
 */
import type tls from 'node:tls';
import { inboundAction, inboundMtlsMode, type InboundAction } from '../identity/inbound-mtls.ts';
import { verifyPeer } from '../identity/verify-peer.ts';
import type { RouteTable } from '../route-table.ts';
import type { MeshTls } from './mesh-tls.ts';
import { setPeer, verifiedPeer, type VerifiedPeer } from './verified-peer.ts';

/** An agent whose first snapshot comes from a control server: how long a connection waits for it. */
export interface FirstSnapshotHold {
  /** Resolves when the first snapshot is in force. */
  applied: Promise<void>;
  holdMs: number;
}

export class InboundGuard {
  readonly #mesh: MeshTls;
  readonly #tables: { readonly current: RouteTable | null };
  readonly #first: FirstSnapshotHold | undefined;
  #held: Promise<boolean> | undefined;
  /** Connections refused (plaintext under STRICT, failed peer checks, no snapshot in time), for /stats and tests. */
  refused = 0;

  /**
   * `first`: the agent awaits its first snapshot (from a control server), which says each port's
   * mode; until then a new connection waits for it (see {@link InboundGuard.modePending}).
   */
  constructor(mesh: MeshTls, tables: { readonly current: RouteTable | null }, first?: FirstSnapshotHold) {
    this.#mesh = mesh;
    this.#tables = tables;
    this.#first = first;
  }

  /**
   * Null when the ports' modes are known (a snapshot is in force, or none is awaited). Else, before
   * the first snapshot, a promise of whether it came within the hold: a connection accepted then
   * waits for it rather than pass as PERMISSIVE, so a STRICT port never lets plaintext through while
   * its agent starts (Envoy has no inbound listener before its first configuration either). After a
   * hold that ended without one, connections are refused until it comes.
   */
  modePending(): Promise<boolean> | null {
    const first = this.#first;
    if (!first || this.#tables.current !== null) return null;
    this.#held ??= new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(this.#tables.current !== null), first.holdMs);
      timer.unref();
      void first.applied.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    return this.#held;
  }

  /**
   * STRICT: TLS only; PERMISSIVE: TLS or plaintext by the first byte; DISABLE: plaintext; no mode
   * known (the awaited first snapshot did not come within the hold): refused. Without a
   * certificate the agent cannot terminate TLS: STRICT refuses everything, the others pass bytes on
   * as plaintext.
   */
  action(appPort: number, first: Uint8Array): InboundAction {
    // Awaited and still not here after the hold (modePending): no mode is known, so nothing passes.
    if (this.#first && this.#tables.current === null) {
      this.refused++;
      return 'refuse';
    }
    const mode = inboundMtlsMode(this.#tables.current?.snapshot.inbound, appPort);
    let a = inboundAction(mode, first);
    if (a === 'tls' && !this.#mesh.ready) a = mode === 'STRICT' ? 'refuse' : 'plaintext';
    if (a === 'refuse') this.refused++;
    return a;
  }

  register(server: tls.Server): void {
    this.#mesh.register(server);
  }

  unregister(server: tls.Server): void {
    this.#mesh.unregister(server);
  }

  /**
   * Checks the peer of a completed handshake (the chain was verified by TLS against the bundle; for
   * a resumed session, its certificate again against the clock and the bundle): exactly one
   * workload SPIFFE ID. Attaches and returns the peer, or returns why it is refused.
   */
  accept(socket: tls.TLSSocket): VerifiedPeer | string {
    const cert = socket.getPeerCertificate();
    const check = verifyPeer(cert);
    if (!check.ok) {
      this.refused++;
      return check.reason ?? 'peer refused';
    }
    // A resumed session's certificate was checked when the session was made, not now.
    const stale = socket.isSessionReused() ? this.#mesh.resumedPeerProblem(cert.raw) : undefined;
    if (stale !== undefined) {
      this.refused++;
      return `resumed session: ${stale}`;
    }
    const peer = verifiedPeer(check.spiffeId!, cert.raw, this.#mesh.spiffeId ?? '');
    setPeer(socket, peer);
    return peer;
  }
}
