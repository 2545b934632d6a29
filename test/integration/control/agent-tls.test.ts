/**
 * The control API for agents is TLS when the control server has a CA: its own listener, a
 * certificate from the mesh CA naming the control server, renewed like a workload's; agents check
 * chain and name, so neither a non-meshed container nor a meshed workload can pose as the control
 * server. The CLI's listener refuses agent routes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:https';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { PassThrough } from 'node:stream';
import { ControlServer } from '../../../control/control-server.ts';
import { LocalCa } from '../../../control/ca/local-ca.ts';
import { ControlClient } from '../../../agent/control-client.ts';
import { Logger } from '../../../agent/logger.ts';
import { CONTROL_SPIFFE_ID, type AckRequest } from '../../../wire/types.ts';
import { FixedSource, workload } from '../../support/workloads.ts';
import { waitFor } from '../../support/wait-for.ts';
import { controlTlsOptions } from '../../support/control-tls.ts';
import { makeCsr, x509 } from '../../unit/identity/cert-factory.ts';
import { webcrypto } from 'node:crypto';

async function setup(o: { leafTtlMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'dm-agent-tls-'));
  const ca = await LocalCa.open(join(dir, 'ca'));
  const server = new ControlServer({
    project: 'proj',
    apiToken: 'cli',
    source: new FixedSource([workload('api', { container: 'api1' })]),
    staticAgentTokens: new Map([['api1', 'ta']]),
    ca,
    leafTtlMs: o.leafTtlMs,
  });
  const base = await server.start('127.0.0.1', 0);
  const agentBase = server.status().control.agentApi!;
  return {
    dir,
    ca,
    server,
    base,
    agentBase,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The agent's real control client, with its log captured. */
function controlClient(url: string, roots: () => readonly string[]) {
  const out = new PassThrough();
  let log = '';
  out.on('data', (d: Buffer) => (log += d.toString()));
  const snapshots: unknown[] = [];
  const client = new ControlClient({
    url,
    roots,
    token: 'ta',
    container: 'api1',
    log: new Logger({}, out),
    onSnapshot: async (v): Promise<AckRequest> => {
      snapshots.push(v);
      return { version: (v as { version: number }).version, ok: true };
    },
  });
  client.start();
  return { client, snapshots, log: () => log };
}

/** The peer certificate a TLS client sees on `url`, checked as an agent checks it. */
function peerOf(url: string, ca: LocalCa): Promise<{ cert: PeerCertificate; protocol: string | null }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s: TLSSocket = connect({ host: hostname, port: Number(port), ...controlTlsOptions(ca) }, () => {
      resolve({ cert: s.getPeerCertificate(), protocol: s.getProtocol() });
      s.end();
    });
    s.on('error', reject);
  });
}

test('with a CA, agents have a TLS listener; the CLI listener refuses agent routes', async () => {
  const s = await setup();
  try {
    assert.match(s.agentBase, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.is.not(s.agentBase, s.base.replace('http:', 'https:'));
    const { cert, protocol } = await peerOf(s.agentBase, s.ca);
    assert.is(protocol, 'TLSv1.3');
    assert.is(cert.subjectaltname, `URI:${CONTROL_SPIFFE_ID}`);

    const plain = await fetch(`${s.base}/v1/agents/api1/stream`, { headers: { authorization: 'Bearer ta' } });
    assert.is(plain.status, 403);
    assert.is(((await plain.json()) as { error: string }).error, 'MESH_ERR_AGENT_TLS_REQUIRED');
    const csr = await fetch(`${s.base}/v1/agents/api1/csr`, {
      method: 'POST',
      headers: { authorization: 'Bearer ta', 'content-type': 'application/json' },
      body: JSON.stringify({ csr: (await makeCsr()).csrPem }),
    });
    assert.is(csr.status, 403, 'no bootstrap token is accepted in plaintext');
    assert.is((await fetch(`${s.base}/v1/status`, { headers: { authorization: 'Bearer cli' } })).status, 200, 'the CLI keeps its listener');

    // The agent's own client, over TLS: snapshots arrive, the control server sees it connected.
    const a = controlClient(s.agentBase, () => s.ca.trustBundle());
    try {
      await waitFor(() => a.snapshots.length > 0 && s.server.status().agents[0]!.connected, 5000, 'snapshot over TLS');
    } finally {
      await a.client.close();
    }
  } finally {
    await s.close();
  }
});

test('an agent refuses a control server from another CA, and one whose certificate names a workload', async () => {
  const s = await setup();
  const other = await LocalCa.open(join(s.dir, 'other-ca'));
  // A meshed workload's certificate, from the mesh's own CA: valid chain, wrong name.
  const { csrPem, keys } = await makeCsr();
  const leaf = await s.ca.signCsr(csrPem, { spiffeId: 'spiffe://cluster.local/ns/default/sa/api' });
  const key = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  let impostorRequests = 0;
  const impostor = createServer({ key, cert: leaf.certificate }, (_req, res) => {
    impostorRequests++;
    res.end();
  });
  await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
  const impostorUrl = `https://127.0.0.1:${(impostor.address() as { port: number }).port}`;
  const wrongCa = controlClient(s.agentBase, () => other.trustBundle());
  const wrongName = controlClient(impostorUrl, () => s.ca.trustBundle());
  try {
    await waitFor(() => /control stream failed/.test(wrongCa.log()) && /control stream failed/.test(wrongName.log()), 5000, 'both refused');
    assert.match(wrongCa.log(), /self[- ]signed|unable to verify|certificate/i);
    assert.match(wrongName.log(), /secure naming: peer is spiffe:\/\/cluster\.local\/ns\/default\/sa\/api/);
    assert.is(impostorRequests, 0, 'no request (and no token) reached the impostor');
    assert.is(wrongCa.snapshots.length + wrongName.snapshots.length, 0);
    assert.is(s.server.status().agents[0]!.connected, false);
  } finally {
    await wrongCa.client.close();
    await wrongName.client.close();
    impostor.close();
    await s.close();
  }
});

test("the control server's certificate is renewed before it expires; agents keep connecting", async () => {
  const s = await setup({ leafTtlMs: 3000 });
  try {
    const first = await peerOf(s.agentBase, s.ca);
    const a = controlClient(s.agentBase, () => s.ca.trustBundle());
    try {
      await waitFor(() => a.snapshots.length > 0, 5000, 'first snapshot');
      // Renewal at two thirds of 3 s; wait past the first leaf's expiry.
      await new Promise((r) => setTimeout(r, 3500));
      const second = await peerOf(s.agentBase, s.ca);
      assert.is.not(second.cert.serialNumber, first.cert.serialNumber);
      assert.ok(new Date(second.cert.valid_to).getTime() > Date.now(), 'the certificate in force is valid');
      // A new connection after the first leaf expired: the agent's report goes through.
      await a.client.report({ ports: [8080], ready: true, configVersion: 1 });
      await waitFor(() => s.server.status().agents[0]!.ports.includes(8080), 3000, 'report after renewal');
    } finally {
      await a.client.close();
    }
  } finally {
    await s.close();
  }
});

test('after a CA rotation the control server presents a leaf of the new root; agents trust it through their snapshots', async () => {
  const s = await setup();
  const injected = s.ca.trustBundle(); // what the injector gave the agent: the old root only
  let snapshotRoots: readonly string[] = [];
  const a = controlClient(s.agentBase, () => [...injected, ...snapshotRoots]);
  try {
    await waitFor(() => a.snapshots.length > 0, 5000, 'first snapshot');
    const before = await peerOf(s.agentBase, s.ca);
    await s.ca.rotate({ propagationMs: 0 });
    await s.ca.finishRotation();
    s.server.refresh(); // what the CA watcher does when the CA's files change
    await waitFor(async () => (await peerOf(s.agentBase, s.ca)).cert.serialNumber !== before.cert.serialNumber, 5000, 'renewed with the new root');
    await waitFor(() => {
      const last = a.snapshots.at(-1) as { trust?: { bundle: string[] } };
      snapshotRoots = last.trust?.bundle ?? [];
      return snapshotRoots.some((r) => !injected.includes(r));
    }, 5000, 'the new root in a snapshot');
    // New connections verify the new leaf with the snapshot's root; the injected roots alone no longer do.
    const fresh = controlClient(s.agentBase, () => [...injected, ...snapshotRoots]);
    const stale = controlClient(s.agentBase, () => injected);
    try {
      await waitFor(() => fresh.snapshots.length > 0 && /control stream failed/.test(stale.log()), 5000, 'fresh connects, stale is refused');
      assert.is(stale.snapshots.length, 0);
    } finally {
      await fresh.client.close();
      await stale.client.close();
    }
  } finally {
    await a.client.close();
    await s.close();
  }
});

test("the CA signs no workload in the control server's namespace", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dm-agent-tls-ns-'));
  const ca = await LocalCa.open(join(dir, 'ca'));
  const server = new ControlServer({
    project: 'proj',
    apiToken: 'cli',
    source: new FixedSource([workload('dockmesh-control', { container: 'c1', namespace: 'dockmesh-system' })]),
    staticAgentTokens: new Map([['c1', 't1']]),
    ca,
  });
  await server.start('127.0.0.1', 0);
  const { Agent, fetch: tlsFetch } = await import('undici');
  const dispatcher = new Agent({ connect: controlTlsOptions(ca) });
  try {
    const r = await tlsFetch(`${server.status().control.agentApi}/v1/agents/c1/csr`, {
      method: 'POST',
      dispatcher,
      headers: { authorization: 'Bearer t1', 'content-type': 'application/json' },
      body: JSON.stringify({ csr: (await makeCsr()).csrPem }),
    });
    assert.is(r.status, 409);
    assert.match(((await r.json()) as { message: string }).message, /dockmesh-system is reserved/);
  } finally {
    await dispatcher.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
