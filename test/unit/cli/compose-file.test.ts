import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { composeLabelProblems, composeServices } from '../../../cli/compose-file.ts';

test('examples/shop: api-v1 and api-v2 are one logical service with two label sets', () => {
  const text = readFileSync(new URL('../../../examples/shop/docker-compose.yml', import.meta.url), 'utf8');
  const services = composeServices(text);
  assert.equal(services.map((s) => s.name), ['api', 'inventory', 'payments', 'web']);
  const api = services[0]!;
  assert.equal(api.hosts, ['api', 'api-v1', 'api-v2']);
  assert.equal(api.labelSets.map((l) => l.version), ['v1', 'v2']);
  assert.equal(services.find((s) => s.name === 'web')!.ports, [8080]);
});

test('dockmesh.namespace: a service in its namespace; the same logical name in two namespaces is two services', () => {
  const s = composeServices(`services:
  api:
    labels: {dockmesh.namespace: team}
  api-legacy:
    labels: {dockmesh.service: api}
  web: {}
`);
  assert.equal(s.map((x) => `${x.namespace}/${x.name} ${x.hosts.join(',')}`), ['default/api api,api-legacy', 'team/api api', 'default/web web']);
});

test('composeLabelProblems: a dockmesh.namespace that is not a namespace name, with its position (map and list forms)', () => {
  const text = `services:
  api:
    labels: {dockmesh.namespace: Team_A}
  web:
    labels:
      - version=v1
      - dockmesh.namespace=-bad
  ok:
    labels: {dockmesh.namespace: team}
`;
  const d = composeLabelProblems(text, 'docker-compose.yml');
  assert.equal(d.map((x) => `${x.code} ${x.line}:${x.column} ${x.path}`), ['MESH_ERR_BAD_LABEL 3:34 services.api.labels.dockmesh.namespace', 'MESH_ERR_BAD_LABEL 7:9 services.web.labels.dockmesh.namespace']);
  assert.match(d[0]!.message, /dockmesh.namespace="Team_A" is not a namespace name/);
  assert.equal(composeLabelProblems('services: {a: {}}', 'f.yml'), []);
});

test('list-form labels and long-form ports', () => {
  const s = composeServices(`services:
  a:
    labels: ["version=v3", "x=y=z"]
    ports: [{ target: 9000, published: 9001 }]
    expose: ["7000"]
`);
  assert.equal(s[0]!.labelSets[0], { version: 'v3', x: 'y=z' });
  assert.equal(s[0]!.ports, [7000, 9000]);
});

test.run();
