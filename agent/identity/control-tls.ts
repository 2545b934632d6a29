/**
 * How an agent dials its control server's TLS listener (port 15012): TLS 1.3, the chain checked
 * against the mesh's roots (from the injector's `DOCKMESH_CONTROL_CA`, and from snapshots, so that a
 * CA rotation keeps working), and secure naming: the certificate must name exactly
 * {@link CONTROL_SPIFFE_ID}. A container on the project network that answers on the control
 * server's address cannot read the bootstrap token or feed the agent snapshots.
 */
import type { Socket } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { CONTROL_SPIFFE_ID } from '../../wire/types.ts';
import { awaitConnect } from '../await-connect.ts';
import { connectTimeout } from '../h1/h1-errors.ts';
import type { Connector } from '../h1/h1-pool.ts';
import { nodeTls } from '../lazy-builtins.ts';
import { verifyPeer } from './verify-peer.ts';

const CONNECT_TIMEOUT_MS = 10_000;

/** Checks a control server's certificate (after TLS verified its chain): undefined when it is the control server. */
export function checkControlIdentity(cert: PeerCertificate): Error | undefined {
  const r = verifyPeer(cert, [CONTROL_SPIFFE_ID]);
  return r.ok ? undefined : Object.assign(new Error(`control server secure naming: ${r.reason}`), { code: 'ERR_MESH_SECURE_NAMING' });
}

/** A connector for the agent's HTTP/1.1 pool that speaks TLS to the control server; `roots()` is read per connection. */
export function controlTlsConnector(roots: () => readonly string[], timeoutMs = CONNECT_TIMEOUT_MS): Connector {
  return (o, done) => {
    const socket = nodeTls().connect({
      host: o.hostname,
      port: Number(o.port),
      ca: [...roots()],
      minVersion: 'TLSv1.3',
      ALPNProtocols: ['http/1.1'],
      checkServerIdentity: (_host, cert) => checkControlIdentity(cert),
    });
    awaitConnect(socket as Socket, 'secureConnect', timeoutMs, () => connectTimeout(timeoutMs), (err) => done(err, err ? null : socket));
  };
}
