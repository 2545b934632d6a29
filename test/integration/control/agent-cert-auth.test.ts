/**
 * Agents authenticate to the control server with their bootstrap token, then with their
 * certificate: the first request signed with the certificate retires the token.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../../control/control-server.ts';
import type { Workload } from '../../../control/discovery/labels.ts';
import { LocalCa } from '../../../control/ca/local-ca.ts';
import { WorkloadIdentity } from '../../../agent/identity/workload-identity.ts';
import { certAuthorization } from '../../../agent/identity/cert-authorization.ts';
import type { CsrResponse } from '../../../wire/types.ts';
import { FixedSource, workload } from '../../support/workloads.ts';
import { makeCsr } from '../../unit/identity/cert-factory.ts';
import { agentListener } from '../../support/control-tls.ts';


async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'dm-certauth-'));
  const ca = await LocalCa.open(dir);
  const server = new ControlServer({
    project: 'proj',
    apiToken: 'cli',
    source: new FixedSource([workload('api', { container: 'api1' }), workload('web', { container: 'web1' })]),
    staticAgentTokens: new Map([
      ['api1', 'ta'],
      ['web1', 'tw'],
    ]),
    ca,
  });
  await server.start('127.0.0.1', 0);
  // Agents speak to the TLS listener.
  const agents = agentListener(server, ca);
  const fetch = agents.fetch;
  const report = (container: string, authorization: string) =>
    fetch(`/v1/agents/${container}/report`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ ports: [8080], ready: true, configVersion: 0 }),
    }).then((r) => r.status);
  const identity = async (container: string, token: string) => {
    const id = new WorkloadIdentity({
      submit: async (csr) => {
        const r = await fetch(`/v1/agents/${container}/csr`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ csr }),
        });
        if (r.status !== 200) throw new Error(`csr ${r.status}`);
        return (await r.json()) as CsrResponse;
      },
    });
    await id.start();
    return id;
  };
  return {
    fetch,
    report,
    identity,
    close: async () => {
      await agents.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('the token works until the certificate is used; then only the certificate does', async () => {
  const s = await setup();
  const id = await s.identity('api1', 'ta');
  try {
    assert.is(await s.report('api1', 'Bearer ta'), 200, 'token still good: the certificate was not used yet');
    assert.is(await s.report('api1', certAuthorization('api1', id.material()!)), 200);
    assert.is(await s.report('api1', 'Bearer ta'), 401, 'token retired');
    assert.is(await s.report('api1', certAuthorization('api1', id.material()!)), 200);
    assert.is(await s.report('web1', 'Bearer tw'), 200, "another agent's token is untouched");
  } finally {
    id.close();
    await s.close();
  }
});

test("a certificate does not authenticate another container, an old signature, or a forged one", async () => {
  const s = await setup();
  const api = await s.identity('api1', 'ta');
  try {
    const m = api.material()!;
    assert.is(await s.report('web1', certAuthorization('web1', m)), 401, 'names api, not web');
    assert.is(await s.report('api1', certAuthorization('api1', m, Date.now() - 10 * 60_000)), 401, 'stale');
    const real = certAuthorization('api1', m);
    const forged = real.slice(0, real.lastIndexOf('.') + 1) + Buffer.from('nope').toString('base64url');
    assert.is(await s.report('api1', forged), 401, 'bad signature');
    assert.is(await s.report('api1', 'DockmeshCert garbage'), 401);
  } finally {
    api.close();
    await s.close();
  }
});

test('renewal: the CSR of a renewing agent authenticates with its current certificate', async () => {
  const s = await setup();
  const id = await s.identity('api1', 'ta');
  try {
    assert.is(await s.report('api1', certAuthorization('api1', id.material()!)), 200);
    const { csrPem } = await makeCsr();
    const csr = (authorization: string) =>
      s.fetch('/v1/agents/api1/csr', {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ csr: csrPem }),
      }).then((r) => r.status);
    assert.is(await csr('Bearer ta'), 401, 'the retired token cannot get another certificate');
    assert.is(await csr(certAuthorization('api1', id.material()!)), 200);
  } finally {
    id.close();
    await s.close();
  }
});

test.run();
