/**
 * A real agent process keeps reaching its control server's TLS listener across a CA rotation: it was
 * given the old root only (`--control-ca`, as the injector's DOCKMESH_CONTROL_CA), the control
 * server's new leaf chains to the new root, and the agent trusts that root because its snapshots
 * carried it. Its connections are cut after the rotation so that it must dial again.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import { connect } from 'node:tls';
import { waitFor } from '../../support/wait-for.ts';
import { controlTlsOptions } from '../../support/control-tls.ts';
import { LoopbackMesh, type MeshWorkload } from './mesh-harness.ts';

const API: MeshWorkload = { name: 'api', address: '127.0.0.7' };

/** The SHA-256 fingerprint of the certificate that signed the control server's leaf, as an agent sees it. */
function controlIssuerFingerprint(mesh: LoopbackMesh): Promise<string> {
  const { hostname, port } = new URL(mesh.agentUrl);
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port), ...controlTlsOptions(mesh.ca) }, () => {
      resolve(s.getPeerCertificate(true).issuerCertificate.fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });
}

test('after a CA rotation the agent dials the control server again with the root its snapshots brought', async () => {
  const mesh = await new LoopbackMesh().start({ workloads: [API] });
  try {
    const oldRoot = new X509Certificate(readFileSync(mesh.controlCaFile)).fingerprint256;
    const api = await mesh.agent(API, ['--access-log', 'off']);
    await mesh.ready(api);

    // As `mesh ca rotate` and later `--finish` do; the CA watcher calls refresh() when the CA's files change.
    const issued = mesh.issued.get('api') ?? 0;
    await mesh.ca.rotate({ propagationMs: 0 });
    mesh.server.refresh();
    await waitFor(() => (mesh.issued.get('api') ?? 0) > issued, 10_000, 'the agent renewed its leaf with the new root');
    await mesh.ca.finishRotation();
    mesh.server.refresh();
    await waitFor(async () => (await controlIssuerFingerprint(mesh)) !== oldRoot, 5000, 'control leaf from the new root');
    await mesh.untilConfig(api, (v) => (v.snapshot?.trust?.bundle ?? []).every((pem) => new X509Certificate(pem).fingerprint256 !== oldRoot), 'the agent applied the new trust');

    // Every open connection goes; the agent must handshake again against the new leaf.
    (mesh.server.agentApi!.server as Server).closeAllConnections();
    await waitFor(() => !mesh.server.status().agents[0]!.connected, 3000, 'agent disconnected');
    await waitFor(() => mesh.server.status().agents[0]!.connected, 10_000, 'agent reconnected over TLS');
    assert.is(mesh.server.status().agents[0]!.connected, true);
  } finally {
    await mesh.close();
  }
});

test.run();
