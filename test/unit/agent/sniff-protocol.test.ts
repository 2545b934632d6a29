import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sniffProtocol } from '../../../agent/sniff-protocol.ts';

const cases: Array<[string, string | Buffer, string]> = [
  ['GET request line', 'GET / HTTP/1.1\r\n', 'http'],
  ['POST request line', 'POST /x HTTP/1.1\r\n', 'http'],
  ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\n', 'http'],
  ['method and space only', 'DELETE ', 'http'],
  ['partial method', 'GE', 'more'],
  ['full method, no space yet', 'PATCH', 'more'],
  ['empty', '', 'more'],
  ['lower case method is not HTTP', 'get / HTTP/1.1', 'tcp'],
  ['HTTP/2 prior knowledge preface (h2c, gRPC)', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'h2'],
  ['HTTP/2 preface and a frame', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04', 'h2'],
  ['part of the preface', 'PRI * HTTP/2', 'more'],
  ['PRI that is not the preface', 'PRI * HTTP/1.1\r\n', 'tcp'],
  ['TLS client hello', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), 'tcp'],
  ['redis RESP', '*1\r\n$4\r\nPING\r\n', 'tcp'],
  ['postgres startup', Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]), 'tcp'],
  ['echo text', 'hello\n', 'tcp'],
  ['unknown upper case token', 'FOOBAR /', 'tcp'],
];

for (const [name, input, want] of cases) {
  test(name, () => {
    const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
    assert.is(sniffProtocol(buf), want);
  });
}

test.run();
