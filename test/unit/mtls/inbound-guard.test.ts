import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InboundGuard } from '../../../agent/mtls/inbound-guard.ts';
import type { MeshTls } from '../../../agent/mtls/mesh-tls.ts';
import type { RouteTable } from '../../../agent/route-table.ts';
import type { InboundSnapshot } from '../../../wire/types.ts';

const TLS = Buffer.from([0x16, 0x03, 0x01]);
const HTTP = Buffer.from('GET / HTTP/1.1\r\n');
const SILENT = Buffer.alloc(0);

function guard(inbound: InboundSnapshot | undefined, certificate: boolean): InboundGuard {
  const mesh = { ready: certificate } as MeshTls;
  const table = { snapshot: { inbound } } as unknown as RouteTable;
  return new InboundGuard(mesh, { current: table });
}
const mode = (m: 'STRICT' | 'PERMISSIVE' | 'DISABLE', ports?: Record<string, 'STRICT' | 'PERMISSIVE' | 'DISABLE'>): InboundSnapshot => ({ mtls: { mode: m, ports }, authz: { policies: [] } });

const cases: Array<[string, InboundSnapshot | undefined, boolean, Buffer, string]> = [
  ['STRICT, TLS', mode('STRICT'), true, TLS, 'tls'],
  ['STRICT, plaintext', mode('STRICT'), true, HTTP, 'refuse'],
  ['STRICT, silent client', mode('STRICT'), true, SILENT, 'refuse'],
  ['STRICT, TLS but no certificate yet', mode('STRICT'), false, TLS, 'refuse'],
  ['PERMISSIVE, TLS', mode('PERMISSIVE'), true, TLS, 'tls'],
  ['PERMISSIVE, plaintext', mode('PERMISSIVE'), true, HTTP, 'plaintext'],
  ['PERMISSIVE, TLS without certificate: opaque bytes', mode('PERMISSIVE'), false, TLS, 'plaintext'],
  ['DISABLE, TLS passes as bytes', mode('DISABLE'), true, TLS, 'plaintext'],
  ['no inbound part: PERMISSIVE', undefined, true, HTTP, 'plaintext'],
  ['portLevelMtls overrides the workload mode', mode('PERMISSIVE', { '8080': 'STRICT' }), true, HTTP, 'refuse'],
];
for (const [name, inbound, cert, first, want] of cases) {
  test(name, () => {
    assert.is(guard(inbound, cert).action(8080, first), want);
  });
}

test('refusals are counted', () => {
  const g = guard(mode('STRICT'), true);
  g.action(8080, HTTP);
  g.action(8080, TLS);
  assert.is(g.refused, 1);
});

test.run();
