import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appListeners, boundV4, parseProcNetTcp } from '../../../agent/proc-net-tcp.ts';

// Real lines: an app on 0.0.0.0:8080, a loopback-only listener, Docker's DNS, the agent's own
// 15006 listener, and an established connection.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123457 1 0000000000000000 100 0 0 10 0
   2: 0B00007F:A8C1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123458 1 0000000000000000 100 0 0 10 0
   3: 00000000:3A9E 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1337        0 123459 1 0000000000000000 100 0 0 10 0
   4: 050012AC:1F90 040012AC:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 123460 1 0000000000000000 20 4 30 10 -1
`;

// busybox httpd on [::]:80, a ::1-only listener, and a v4-mapped loopback one.
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22211 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1770 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22212 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1771 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22213 1 0000000000000000 100 0 0 10 0
`;

test('parses ports, states and loopback from tcp', () => {
  const e = parseProcNetTcp(TCP);
  assert.equal(
    e.map((x) => [x.localPort, x.state, x.loopback]),
    [[8080, 0x0a, false], [3306, 0x0a, true], [43201, 0x0a, true], [15006, 0x0a, false], [8080, 0x01, false]],
  );
});

test('parses IPv6 any (::) and loopback listeners from tcp6', () => {
  const e = parseProcNetTcp(TCP6);
  assert.equal(e.map((x) => [x.localPort, x.loopback]), [[80, false], [6000, true], [6001, true]]);
});

test('app ports: LISTEN only, no loopback, no agent ports, unique and sorted', () => {
  const ports = appListeners([...parseProcNetTcp(TCP6), ...parseProcNetTcp(TCP)]).map((l) => l.port);
  assert.equal(ports, [80, 8080]);
});

test('regression: an ephemeral admin port is not an app port', () => {
  const ports = appListeners(parseProcNetTcp(TCP), undefined, new Set([8080])).map((l) => l.port);
  assert.equal(ports, []);
});

// busybox httpd -p $(hostname -i):8080 in a container at 172.18.0.5 (its only listener), an app on
// 10.1.2.3:9000 and 0.0.0.0:9000 both, and one on ::ffff:172.18.0.5:7000 (a tcp6 socket bound to
// a v4-mapped address); tcp6: a listener bound to one IPv6 address only.
const BOUND = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 050012AC:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31001 1 0000000000000000 100 0 0 10 0
   1: 0302010A:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31002 1 0000000000000000 100 0 0 10 0
   2: 00000000:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31003 1 0000000000000000 100 0 0 10 0
`;
const BOUND6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF0000050012AC:1B58 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31004 1 0000000000000000 100 0 0 10 0
   1: 000080FE00000000FF01000002000000:1B59 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31005 1 0000000000000000 100 0 0 10 0
`;

test('bound IPv4 addresses: little-endian words, v4-mapped tcp6 ones; none for wildcards and IPv6', () => {
  assert.is(boundV4('050012AC'), '172.18.0.5');
  assert.is(boundV4('0100007F'), '127.0.0.1');
  assert.is(boundV4('0000000000000000FFFF0000050012AC'), '172.18.0.5');
  assert.is(boundV4('00000000'), undefined);
  assert.is(boundV4('00000000000000000000000000000000'), undefined);
  assert.is(boundV4('000080FE00000000FF01000002000000'), undefined);
});

test('an app bound to one address is reached there; a port that takes every address by loopback', () => {
  const listeners = appListeners([...parseProcNetTcp(BOUND), ...parseProcNetTcp(BOUND6)]);
  assert.equal(listeners, [
    { port: 7000, host: '172.18.0.5' },
    { port: 7001 },
    { port: 8080, host: '172.18.0.5' },
    { port: 9000 },
  ]);
  // The wildcard listeners of the first fixtures keep loopback, also beside one bound to an address.
  assert.equal(appListeners([...parseProcNetTcp(TCP6), ...parseProcNetTcp(TCP)]), [{ port: 80 }, { port: 8080 }]);
  assert.equal(appListeners([...parseProcNetTcp(BOUND), ...parseProcNetTcp(TCP)]), [{ port: 8080 }, { port: 9000 }]);
});

test('garbage and empty input give nothing', () => {
  assert.equal(parseProcNetTcp(''), []);
  assert.equal(parseProcNetTcp('hello world\n  x: y z\n'), []);
});

test.run();
