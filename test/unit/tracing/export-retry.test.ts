import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExportRejected, exportRetryDelay, MAX_EXPORT_RETRIES, MAX_RETRY_WAIT_MS, retryAfterMs } from '../../../agent/tracing/export-retry.ts';

const coded = (code: string): Error => Object.assign(new Error(code), { code });

test('OTLP\'s retryable answers (429, 502, 503, 504) are sent again, with exponential backoff', () => {
  for (const status of [429, 502, 503, 504]) {
    assert.equal([0, 1, 2, 3].map((n) => exportRetryDelay(new ExportRejected(status, undefined), n)), [250, 500, 1000, undefined], String(status));
  }
  assert.is(MAX_EXPORT_RETRIES, 3);
});

test('any other answer, and an export that timed out, are not sent again', () => {
  for (const status of [400, 401, 404, 413, 500, 501]) assert.is(exportRetryDelay(new ExportRejected(status, undefined), 0), undefined, String(status));
  assert.is(exportRetryDelay(new Error('no answer in 5000 ms'), 0), undefined);
  assert.is(exportRetryDelay(coded('UND_ERR_HEADERS_TIMEOUT'), 0), undefined);
  assert.is(exportRetryDelay(undefined, 0), undefined);
});

test('a collector that could not be reached (refused, unreachable, not resolved yet, connect timeout) is tried again', () => {
  for (const code of ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']) {
    assert.is(exportRetryDelay(coded(code), 1), 500, code);
  }
  assert.is(exportRetryDelay(coded('ECONNRESET'), 0), undefined, 'the request may have reached it');
});

test('Retry-After is honoured, up to the longest wait a batch may hold the queue', () => {
  assert.is(exportRetryDelay(new ExportRejected(503, 2000), 0), 2000);
  assert.is(exportRetryDelay(new ExportRejected(429, 0), 2), 0);
  assert.is(exportRetryDelay(new ExportRejected(429, 60_000), 0), MAX_RETRY_WAIT_MS);
  assert.is(exportRetryDelay(new ExportRejected(503, 2000), 3), undefined, 'retries used up');
});

test('Retry-After: delay-seconds or an HTTP-date; anything else is none', () => {
  const now = Date.parse('2026-11-27T03:00:00Z');
  assert.is(retryAfterMs('3', now), 3000);
  assert.is(retryAfterMs(' 0 ', now), 0);
  assert.is(retryAfterMs('Fri, 27 Nov 2026 03:00:07 GMT', now), 7000);
  assert.is(retryAfterMs('Fri, 27 Nov 2026 02:59:00 GMT', now), 0, 'a date already past: at once');
  assert.is(retryAfterMs(['5', '9'], now), 5000);
  for (const v of [undefined, '', 'soon', '-1', '1.5']) assert.is(retryAfterMs(v, now), undefined, String(v));
});

test.run();
