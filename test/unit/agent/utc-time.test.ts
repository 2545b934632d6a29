import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpDate, httpDateNow, isoNow, isoTime } from '../../../agent/utc-time.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const utc = (ms: number): string => new Date(ms).toUTCString();

test('writes what toISOString writes at the edges of days, months, leap years and centuries', () => {
  const cases = [
    0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000,
    Date.UTC(1972, 1, 29), Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 1, 29, 12),
    Date.UTC(2000, 2, 1), Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2100, 1, 28, 23, 59, 59, 999),
    Date.UTC(2100, 2, 1), Date.UTC(2400, 1, 29), Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    Date.UTC(2026, 10, 27, 6, 40, 37, 184),
  ];
  for (const ms of cases) {
    assert.is(isoTime(ms), iso(ms), String(ms));
    assert.is(httpDate(ms), utc(ms), String(ms));
  }
});

test('agrees with toISOString and toUTCString on every day from 1970 to 2200, at a varying time of day', () => {
  const day = 86_400_000;
  for (let d = 0, ms = 0; ms < Date.UTC(2200, 0, 1); d++, ms = d * day + ((d * 7_919_113) % day)) {
    if (isoTime(ms) !== iso(ms)) assert.unreachable(`${ms}: ${isoTime(ms)} != ${iso(ms)}`);
    if (httpDate(ms) !== utc(ms)) assert.unreachable(`${ms}: ${httpDate(ms)} != ${utc(ms)}`);
  }
});

test('fractions of a millisecond are dropped, as toISOString does', () => {
  assert.is(isoTime(1_700_000_000_123.9), iso(1_700_000_000_123.9));
  assert.is(isoTime(1_700_000_000_123.9), '2023-11-14T22:13:20.123Z');
});

test('times before 1970 or from the year 10000 on are V8\'s own formatting', () => {
  for (const ms of [-1, -86_400_001, Date.UTC(10000, 0, 1), Date.UTC(12345, 5, 6)]) {
    assert.is(isoTime(ms), iso(ms));
    assert.is(httpDate(ms), utc(ms));
  }
  assert.throws(() => isoTime(Number.NaN), RangeError);
  assert.is(httpDate(Number.NaN), 'Invalid Date');
});

test('the Date header now is an HTTP date of this second', () => {
  const before = Math.floor(Date.now() / 1000) * 1000;
  const text = httpDateNow();
  const after = Math.floor(Date.now() / 1000) * 1000;
  assert.ok(text === utc(before) || text === utc(after), text);
  assert.is(Date.parse(text) % 1000, 0);
});

test('isoNow is an ISO 8601 UTC time', () => {
  const t = isoNow();
  assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.is(new Date(t).toISOString(), t);
});

test.run();
