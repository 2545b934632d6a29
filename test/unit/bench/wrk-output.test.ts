import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDuration, parseWrkOutput } from '../../../bench/load/wrk-output.ts';

// Real wrk 4.1 output with bench/load/wrk-report.lua loaded.
const WITH_JSON = `Running 1s test @ http://127.0.0.1:36561/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   274.08us  677.66us  14.11ms   94.59%
    Req/Sec    67.21k    25.15k   91.44k    81.82%
  Latency Distribution
     50%  114.00us
     75%  189.00us
     90%  400.00us
     99%    2.97ms
  73195 requests in 1.10s, 14.87MB read
Requests/sec:  66554.46
Transfer/sec:     13.52MB
WRK_JSON {"requests":73195,"durationUs":1099776,"bytes":15590535,"errors":{"connect":0,"read":0,"write":0,"status":0,"timeout":0},"latencyUs":{"min":25,"mean":274.08,"p50":114,"p90":400,"p99":2973,"max":14115}}
`;

// Without the script, with errors (the shape wrk prints for Connection: close runs gone wrong).
const TEXT_ONLY = `Running 3s test @ http://127.0.0.1:8080/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.25ms    2.01ms  45.30ms   97.10%
    Req/Sec     6.10k   512.00     7.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    1.10ms
     90%    1.90ms
     99%   10.20ms
  18300 requests in 3.00s, 3.50MB read
  Socket errors: connect 12, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   6100.00
Transfer/sec:      1.17MB
`;

test('the WRK_JSON line wins and gives exact microseconds', () => {
  const r = parseWrkOutput(WITH_JSON);
  assert.is(r.requests, 73195);
  assert.ok(Math.abs(r.requestsPerSec - 73195 / 1.099776) < 1e-6);
  assert.equal(r.latency, { count: 73195, p50: 114, p90: 400, p99: 2973, max: 14115, mean: 274.08 });
  assert.is(r.errorCount, 0);
});

test('text fallback: requests/s, percentiles, max, socket and status errors', () => {
  const r = parseWrkOutput(TEXT_ONLY);
  assert.is(r.requests, 18300);
  assert.is(r.durationS, 3);
  assert.is(r.requestsPerSec, 6100);
  assert.is(r.latency.p50, 812);
  assert.is(r.latency.p90, 1900);
  assert.is(r.latency.p99, 10200);
  assert.is(r.latency.max, 45300);
  assert.is(r.latency.mean, 1250);
  assert.equal(r.errors, { connect: 12, read: 3, write: 0, timeout: 2, status: 7 });
  assert.is(r.errorCount, 24);
});

test('output without a result throws', () => {
  assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n'), /Requests\/sec/);
});

test('parseDuration: wrk units to microseconds', () => {
  const cases: Array<[string, number]> = [
    ['812.00us', 812],
    ['1.25ms', 1250],
    ['2.00s', 2e6],
    ['1.50m', 90e6],
    ['1.00h', 3600e6],
  ];
  for (const [s, want] of cases) assert.ok(Math.abs(parseDuration(s) - want) < 1e-6, s);
  assert.ok(Number.isNaN(parseDuration('fast')));
});

test.run();
