import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CaptureLink } from '../../../agent/capture-link.ts';
import { captureRules, ContainerCapture } from '../../../agent/container-capture.ts';
import type { CaptureRules } from '../../../agent/iptables-rules.ts';
import type { MeshListener } from '../../../agent/mesh-listener.ts';
import type { ListenerBinding } from '../../../agent/proxy-context.ts';
import { inboundPortAllocator, outboundPortAllocator } from '../../../agent/port-allocator.ts';
import { buildRouteTable } from '../../../agent/route-table.ts';
import { endpoint, service, snapshot } from './snapshot-fixture.ts';

test('port allocation: 15006 first, then 15100 up; outbound from 15200; stable per key', () => {
  const inbound = inboundPortAllocator();
  assert.equal([inbound.allocate('80'), inbound.allocate('9090'), inbound.allocate('80'), inbound.allocate('8080')], [15006, 15100, 15006, 15101]);
  const outbound = outboundPortAllocator();
  assert.equal([outbound.allocate('api.default:8080'), outbound.allocate('db.default:5432'), outbound.allocate('api.default:8080')], [15200, 15201, 15200]);
});

test('port allocation runs out with a stable error code', () => {
  const a = outboundPortAllocator();
  for (let i = 0; i < 100; i++) a.allocate(`s${i}`);
  try {
    a.allocate('one-too-many');
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'AGENT_ERR_PORTS_EXHAUSTED');
  }
});

test('rules: app ports with listeners, minus excluded ports; one outbound rule per address:port', () => {
  const s = snapshot(1, 'web', [
    service('api', [8080], [endpoint('api', '172.18.0.4', 8080), endpoint('api', '172.18.0.5', 8080)]),
    service('api-alias', [8080], [endpoint('api', '172.18.0.4', 8080)]),
    service('db', [5432], [endpoint('db', '172.18.0.9', 5432)]),
  ]);
  s.mesh.excludedPorts = [9000, 5432];
  const table = buildRouteTable(s);
  const outbound = new Map([['api.default:8080', 15200], ['api-alias.default:8080', 15201]]);
  const rules = captureRules([80, 9000, 7000], new Map([[80, 15006], [9000, 15100]]), table, (k, p) => outbound.get(`${k}:${p}`));
  assert.equal(rules, {
    inbound: [{ port: 80, to: 15006 }],
    outbound: [{ address: '172.18.0.4', port: 8080, to: 15200 }, { address: '172.18.0.5', port: 8080, to: 15200 }],
  });
});

test('rules before any snapshot: inbound only', () => {
  assert.equal(captureRules([80], new Map([[80, 15006]]), null, () => 15200), { inbound: [{ port: 80, to: 15006 }], outbound: [] });
});

test('inbound listeners follow the address each app port is bound to', async () => {
  const applied: CaptureRules[] = [];
  const link = { apply: async (r: CaptureRules) => void applied.push(r), installed: true, lastError: undefined } as unknown as CaptureLink;
  const opened: Array<[string, number, ListenerBinding]> = [];
  const capture = new ContainerCapture(link, async (host, port, binding) => {
    opened.push([host, port, binding]);
    return {} as MeshListener;
  });
  await capture.setAppPorts([{ port: 8080, host: '172.18.0.5' }, { port: 9000 }]);
  assert.equal(opened.map(([h, p, b]) => [h, p, b.port, b.appHost]), [['0.0.0.0', 15006, 8080, '172.18.0.5'], ['0.0.0.0', 15100, 9000, undefined]]);
  assert.equal(capture.appPorts, [8080, 9000]);
  // The app binds again elsewhere: the same listeners, pointed at the new address (or loopback).
  await capture.setAppPorts([{ port: 8080 }, { port: 9000, host: '10.1.2.3' }]);
  assert.is(opened.length, 2, 'no new listener');
  assert.is(opened[0]![2].appHost, undefined);
  assert.is(opened[1]![2].appHost, '10.1.2.3');
  assert.equal(applied.at(-1)!.inbound, [{ port: 8080, to: 15006 }, { port: 9000, to: 15100 }]);
});

test.run();
