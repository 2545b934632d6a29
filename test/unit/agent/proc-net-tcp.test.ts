import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appListeningPorts, parseProcNetTcp } from '../../../agent/proc-net-tcp.ts';

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
  const ports = appListeningPorts([...parseProcNetTcp(TCP6), ...parseProcNetTcp(TCP)]);
  assert.equal(ports, [80, 8080]);
});

test('regression: an ephemeral admin port is not an app port', () => {
  const ports = appListeningPorts(parseProcNetTcp(TCP), undefined, new Set([8080]));
  assert.equal(ports, []);
});

test('garbage and empty input give nothing', () => {
  assert.equal(parseProcNetTcp(''), []);
  assert.equal(parseProcNetTcp('hello world\n  x: y z\n'), []);
});

test.run();
