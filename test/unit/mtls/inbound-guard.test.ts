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

test('before the first snapshot: pending while awaited, true once it comes, false after the hold; null when known or not awaited', async () => {
  const mesh = { ready: true } as MeshTls;
  const tables: { current: RouteTable | null } = { current: null };
  assert.is(new InboundGuard(mesh, tables).modePending(), null, 'no snapshot awaited: the mode is PERMISSIVE');
  let apply!: () => void;
  const applied = new Promise<void>((r) => (apply = r));
  const g = new InboundGuard(mesh, tables, { applied, holdMs: 5000 });
  const p = g.modePending()!;
  assert.ok(p instanceof Promise);
  assert.is(g.modePending(), p, 'one wait shared by the connections');
  tables.current = { snapshot: { inbound: mode('STRICT') } } as unknown as RouteTable;
  apply();
  assert.is(await p, true);
  assert.is(g.modePending(), null, 'known now');

  const none: { current: RouteTable | null } = { current: null };
  const late = new InboundGuard(mesh, none, { applied: new Promise<void>(() => {}), holdMs: 20 });
  // The hold's timer does not keep a process alive (unref): this one does, for the test.
  const alive = setTimeout(() => {}, 1000);
  assert.is(await late.modePending(), false, 'no snapshot within the hold');
  clearTimeout(alive);
  assert.is(await late.modePending(), false, 'still none: refused at once');
  assert.is(late.action(8080, HTTP), 'refuse', 'no mode known: the guard refuses');
  assert.is(late.action(8080, TLS), 'refuse');
  assert.is(late.refused, 2);
  none.current = { snapshot: { inbound: mode('PERMISSIVE') } } as unknown as RouteTable;
  assert.is(late.modePending(), null, 'it came later: known');
});

test.run();
