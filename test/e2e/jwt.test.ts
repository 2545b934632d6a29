/**
 * RequestAuthentication on a real engine: busybox httpd behind its agent accepts only requests with a
 * valid JWT (an AuthorizationPolicy with requestPrincipals ["*"]); the issuer's keys come from
 * jwksUri, a compose service (busybox httpd serving the JWKS) that the server's agent fetches from
 * inside the app's network namespace. A meshed busybox client sends no token (403), a valid one (200)
 * and an expired one (401).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { busyboxClient, busyboxServer } from '../support/busybox-services.ts';
import { es256Issuer } from '../support/jwt-signer.ts';
import { mesh } from '../support/run-command.ts';
import { ensureBaseImage } from '../../cli/images/ensure-base-image.ts';

const ISSUER = 'https://issuer.example';
const MESHFILE = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: server-jwt, namespace: default}
spec:
  selector: {matchLabels: {app: server}}
  jwtRules:
  - issuer: ${ISSUER}
    jwksUri: http://keys:8080/keys
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: server-needs-jwt, namespace: default}
spec:
  selector: {matchLabels: {app: server}}
  rules:
  - from: [{source: {requestPrincipals: ["*"]}}]
`;

if (await requireEngine()) {
  const base = await ensureBaseImage();
  const issuer = es256Issuer(ISSUER);
  const yaml = `version: "2.4"
services:
${busyboxServer(base, 'hello-with-jwt', 'server')}    labels:
      app: server
  keys:
    image: ${base}
    stop_signal: SIGKILL
    environment:
      JWKS: '${issuer.jwks}'
    command: ["sh", "-c", "mkdir -p /www && printf %s \\"$$JWKS\\" > /www/keys && exec httpd -f -p 8080 -h /www"]
${busyboxClient(base)}`;
  const p = new ComposeProject('djwt', yaml);
  const dir = mkdtempSync(join(tmpdir(), 'dm-jwt-'));
  const meshfile = join(dir, 'mesh.yaml');
  writeFileSync(meshfile, MESHFILE);
  const flags = ['-p', p.name, '-f', p.file];
  const now = () => Math.floor(Date.now() / 1000);

  async function wget(token?: string): Promise<{ code: number; out: string; err: string }> {
    const [client] = await p.containers('client');
    const header = token ? ['--header', `Authorization: Bearer ${token}`] : [];
    const r = await p.exec(client!.Id, ['timeout', '10', 'wget', '-qO-', ...header, 'http://server:8080/index.html']);
    return { code: r.code, out: r.stdout, err: r.stderr };
  }

  test.after(async () => {
    await p.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('mesh up with a RequestAuthentication and a policy that needs a token', async () => {
    await p.up();
    const r = await mesh(['up', ...flags, '--meshfile', meshfile]);
    assert.is(r.code, 0, r.stderr);
  });

  test('no token: 403 from the policy', async () => {
    const r = await wget();
    assert.not.equal(r.code, 0);
    assert.match(r.err, /403/);
  });

  test('a valid token: the agent fetched the keys from the keys service and lets it through', async () => {
    const r = await wget(issuer.token({ sub: 'alice', exp: now() + 3600 }));
    assert.is(r.code, 0, r.err);
    assert.is(r.out.trim(), 'hello-with-jwt');
  });

  test('an expired token: 401 from authentication', async () => {
    const r = await wget(issuer.token({ sub: 'alice', exp: now() - 3600 }));
    assert.not.equal(r.code, 0);
    assert.match(r.err, /401/);
  });

  test('mesh down', async () => {
    assert.is((await mesh(['down', ...flags])).code, 0);
    assert.is((await p.meshContainers()).length, 0);
  });

  test.run();
}
