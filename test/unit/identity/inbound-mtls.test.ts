import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InboundSnapshot } from '../../../wire/types.ts';
import { inboundAction, inboundMtlsMode, looksLikeTls } from '../../../agent/identity/inbound-mtls.ts';

const CLIENT_HELLO = Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00]);
const HTTP = new TextEncoder().encode('GET / HTTP/1.1\r\n');

const inbound: InboundSnapshot = { mtls: { mode: 'STRICT', ports: { '8080': 'DISABLE' } }, authz: { policies: [] } };
for (const [snap, port, want] of [[undefined, 80, 'PERMISSIVE'], [inbound, 80, 'STRICT'], [inbound, 8080, 'DISABLE']] as const) {
  test(`inboundMtlsMode(port ${port}) = ${want}`, () => assert.is(inboundMtlsMode(snap, port), want));
}

const table: Array<[string, Uint8Array, string]> = [
  ['STRICT', CLIENT_HELLO, 'tls'],
  ['STRICT', HTTP, 'refuse'],
  ['STRICT', new Uint8Array([0x16, 0x01]), 'refuse'],
  ['PERMISSIVE', CLIENT_HELLO, 'tls'],
  ['PERMISSIVE', HTTP, 'plaintext'],
  ['DISABLE', CLIENT_HELLO, 'plaintext'],
  ['DISABLE', HTTP, 'plaintext'],
];
for (const [mode, first, want] of table) {
  test(`${mode} with ${looksLikeTls(first) ? 'a TLS record' : 'other bytes'} → ${want}`, () =>
    assert.is(inboundAction(mode as 'STRICT', first), want));
}

test.run();
