/**
 * examples/shop on a real engine with a `Mesh` document that names a collector: an OTLP/HTTP
 * receiver the test runs in a container on the project's network (the example-shop image has node,
 * and the container is not part of the compose project, so it is not meshed). One order through
 * web → api → payments, inventory gives a SERVER and CLIENT span at every agent, nested through the
 * apps, which only forward the trace headers. The agents export in the default encoding, binary
 * protobuf: the receiver keeps the bodies as they came, and the test decodes them with protobufjs.
 * Then an Istio Telemetry document saved into the meshfile changes what two of the agents report.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireEngine } from '../support/docker-engine.ts';
import { ComposeProject } from '../support/compose-project.ts';
import { mesh } from '../support/run-command.ts';
import { waitFor } from '../support/wait-for.ts';
import { decodeTracesProto } from '../support/otlp-proto-decoder.ts';
import { ensureExampleImage } from '../../cli/images/ensure-example-image.ts';

const SHOP = join(import.meta.dirname, '..', '..', 'examples', 'shop');
const SHOP_IMAGE = 'dockmesh/example-shop:dev';

/** Keeps every POST /v1/traces body as it came (base64) with its content type; GET /bodies lists them. */
const RECEIVER = `
const bodies = [];
require('node:http').createServer((req, res) => {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/bodies') return res.end(JSON.stringify(bodies));
    bodies.push({ type: req.headers['content-type'], body: Buffer.concat(chunks).toString('base64') });
    const proto = String(req.headers['content-type']).startsWith('application/x-protobuf');
    res.writeHead(200, { 'content-type': proto ? 'application/x-protobuf' : 'application/json' }).end(proto ? '' : '{}');
  });
}).listen(4318);
`;

/** The spans of the bodies the receiver kept, each with its resource's service.name. */
function spansOf(bodies: Array<{ type: string; body: string }>): Span[] {
  const out: Span[] = [];
  for (const { type, body } of bodies) {
    const raw = Buffer.from(body, 'base64');
    const doc = type.startsWith('application/x-protobuf') ? decodeTracesProto(raw) : JSON.parse(raw.toString());
    for (const rs of doc.resourceSpans ?? []) {
      const service = (rs.resource.attributes.find((a: { key: string }) => a.key === 'service.name') || {}).value;
      for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) out.push({ ...s, service: service && service.stringValue });
    }
  }
  return out;
}

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind: number;
  name: string;
  service: string;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string } }>;
}

const SERVER = 2;
const CLIENT = 3;

if (await requireEngine()) {
  await ensureExampleImage('shop');
  process.env.SHOP_PORT = '0';
  const p = new ComposeProject('dmtrace', '', SHOP);
  const receiverName = `${p.name}-otlp`;
  const meshfile = join(mkdtempSync(join(tmpdir(), 'dm-trace-')), 'mesh.yaml');
  writeFileSync(meshfile, `apiVersion: dockmesh.dev/v1\nkind: Mesh\nspec:\n  tracing:\n    endpoint: http://${receiverName}:4318/v1/traces\n`);
  const flags = ['-p', p.name, '-f', p.file];
  let receiver = '';

  test.after(async () => {
    await p.docker.getContainer(receiverName).remove({ force: true }).catch(() => {});
    await p.destroy(true);
  });

  test('an order is one trace: a SERVER and a CLIENT span at every hop, nested through the apps', async () => {
    await p.up();
    const [web] = await p.containers('web');
    const network = Object.keys((await p.docker.getContainer(web!.Id).inspect()).NetworkSettings.Networks)[0]!;
    const c = await p.docker.createContainer({
      name: receiverName,
      Image: SHOP_IMAGE,
      Cmd: ['node', '-e', RECEIVER],
      HostConfig: { NetworkMode: network },
      Labels: { 'dockmesh.e2e': p.name },
    });
    await c.start();
    receiver = (await c.inspect()).NetworkSettings.Networks[network]!.IPAddress;
    await waitFor(() => fetch(`http://${receiver}:4318/bodies`).then((r) => r.ok, () => false), 15_000, 'receiver up');
    const up = await mesh(['up', ...flags, '--meshfile', meshfile]);
    assert.is(up.code, 0, up.stderr);

    const traceId = 'dddddddddddddddddddddddddddddddd';
    const caller = '00f067aa0ba902b7';
    const webIp = await p.ip(web!.Id);
    const res = await fetch(`http://${webIp}:8080/api/orders/1`, { headers: { traceparent: `00-${traceId}-${caller}-01` }, signal: AbortSignal.timeout(5000) });
    assert.is(res.status, 200);
    // web SERVER, web CLIENT → api, api SERVER, api CLIENT → payments and → inventory, payments and inventory SERVER.
    let bodies: Array<{ type: string; body: string }> = [];
    const spans = await waitFor(async () => {
      bodies = (await (await fetch(`http://${receiver}:4318/bodies`)).json()) as typeof bodies;
      const mine = spansOf(bodies).filter((s) => s.traceId === traceId);
      return mine.length >= 7 ? mine : undefined;
    }, 30_000, 'the order\'s 7 spans', 250);
    assert.equal([...new Set(bodies.map((b) => b.type))], ['application/x-protobuf'], 'the default encoding');
    const find = (service: string, kind: number, to?: string) => {
      const list = spans.filter((s) => s.service === service && s.kind === kind && (!to || s.name.startsWith(`${to}.`)));
      assert.is(list.length, 1, `one ${kind === SERVER ? 'SERVER' : 'CLIENT'} span of ${service}${to ? ` to ${to}` : ''}: ${JSON.stringify(spans.map((s) => [s.service, s.kind, s.name]))}`);
      return list[0]!;
    };
    const webIn = find('web', SERVER);
    const webOut = find('web', CLIENT, 'api');
    const apiIn = find('api', SERVER);
    const apiToPayments = find('api', CLIENT, 'payments');
    const apiToInventory = find('api', CLIENT, 'inventory');
    const paymentsIn = find('payments', SERVER);
    const inventoryIn = find('inventory', SERVER);
    assert.is(webIn.parentSpanId, caller, 'the caller\'s traceparent is honoured');
    assert.is(webOut.parentSpanId, webIn.spanId, 'web forwarded the headers its agent gave it');
    assert.is(apiIn.parentSpanId, webOut.spanId);
    assert.is(apiToPayments.parentSpanId, apiIn.spanId);
    assert.is(apiToInventory.parentSpanId, apiIn.spanId);
    assert.is(paymentsIn.parentSpanId, apiToPayments.spanId);
    assert.is(inventoryIn.parentSpanId, apiToInventory.spanId);
    const attr = (s: Span, k: string) => s.attributes.find((a) => a.key === k)?.value;
    assert.is(attr(paymentsIn, 'istio.canonical_service')?.stringValue, 'payments');
    assert.is(attr(webOut, 'http.status_code')?.intValue, '200');
    assert.match(webOut.name, /^api\.default\.svc\.cluster\.local:8080\/\*$/);
  });

  test('a saved Telemetry document, selecting by compose label: payments reports no SERVER span, inventory tags its own', async () => {
    writeFileSync(meshfile, `apiVersion: dockmesh.dev/v1\nkind: Mesh\nspec:\n  tracing:\n    endpoint: http://${receiverName}:4318/v1/traces\n---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: payments-quiet}
spec:
  selector:
    matchLabels: {com.docker.compose.service: payments}
  tracing:
  - match: {mode: SERVER}
    disableSpanReporting: true
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: inventory-tags}
spec:
  selector:
    matchLabels: {com.docker.compose.service: inventory}
  tracing:
  - customTags:
      team: {literal: {value: stock}}
`);
    const [web] = await p.containers('web');
    const webIp = await p.ip(web!.Id);
    let n = 0;
    // The save reaches the agents within a second or so: send orders until one shows the new settings.
    const spans = await waitFor(async () => {
      const traceId = `eeeeeeeeeeeeeeeeeeeeeeeeeeeeee${String(++n).padStart(2, '0')}`;
      const res = await fetch(`http://${webIp}:8080/api/orders/2`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` }, signal: AbortSignal.timeout(5000) });
      if (res.status !== 200) return undefined;
      await new Promise((r) => setTimeout(r, 1500));
      const bodies = (await (await fetch(`http://${receiver}:4318/bodies`)).json()) as Array<{ type: string; body: string }>;
      const mine = spansOf(bodies).filter((s) => s.traceId === traceId);
      const tagged = mine.some((s) => s.service === 'inventory' && s.attributes.some((a) => a.key === 'team'));
      return mine.length === 6 && tagged ? mine : undefined;
    }, 40_000, 'an order traced with the Telemetry in force', 100);
    assert.not.ok(spans.some((s) => s.service === 'payments'), 'no span from payments');
    assert.ok(spans.some((s) => s.service === 'api' && s.kind === CLIENT && s.name.startsWith('payments.')), 'api still reports its call to payments');
    const inventoryIn = spans.find((s) => s.service === 'inventory' && s.kind === SERVER)!;
    assert.is(inventoryIn.attributes.find((a) => a.key === 'team')?.value.stringValue, 'stock');
  });

  test.run();
}
