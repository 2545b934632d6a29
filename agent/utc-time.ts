/**
 * UTC timestamps as text without V8's `Date` methods (pure but for the clocks of the `*Now`
 * functions). The first `toISOString`, `toUTCString` (node:http's `Date` header) or any other `Date`
 * method that breaks a time down makes V8 set up its date cache and ICU's time zone, which pages
 * about 0.7 MB of the `node` binary into the process's RSS for good; the agent's log lines, access
 * log and `Date` headers need only UTC, which is arithmetic. docs/agent.md, "Memory".
 */

/** Milliseconds from 1970-01-01 to 10000-01-01: beyond it (and before 1970) the formatting is V8's. */
const YEAR_10000_MS = 253_402_300_800_000;
const DAY_MS = 86_400_000;
const WEEKDAYS = ['Thu', 'Fri', 'Sat', 'Sun', 'Mon', 'Tue', 'Wed'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;
const pad3 = (n: number): string => (n < 10 ? '00' : n < 100 ? '0' : '') + n;

interface Civil {
  /** Days since 1970-01-01. */
  days: number;
  year: number;
  /** 1 to 12. */
  month: number;
  day: number;
  /** Milliseconds into the day. */
  time: number;
}

/** The proleptic Gregorian date of `ms` (whole milliseconds, from 1970 on). */
function civil(ms: number): Civil {
  const days = Math.floor(ms / DAY_MS);
  // Eras of 400 years starting 0000-03-01 (H. Hinnant, "chrono-Compatible Low-Level Date
  // Algorithms", civil_from_days).
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return {
    days,
    year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: dayOfYear - Math.floor((153 * mp + 2) / 5) + 1,
    time: ms - days * DAY_MS,
  };
}

/** `HH:mm:ss` of a time of day, and the milliseconds left. */
function clock(time: number): { text: string; ms: number } {
  const hour = Math.floor(time / 3_600_000);
  const minute = Math.floor((time - hour * 3_600_000) / 60_000);
  const second = Math.floor((time - hour * 3_600_000 - minute * 60_000) / 1000);
  return { text: `${pad2(hour)}:${pad2(minute)}:${pad2(second)}`, ms: time % 1000 };
}

/** `ms` (Unix epoch milliseconds) as `toISOString` writes it: `YYYY-MM-DDTHH:mm:ss.sssZ`. */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < YEAR_10000_MS)) return new Date(ms).toISOString();
  const c = civil(Math.floor(ms));
  const t = clock(c.time);
  return `${c.year}-${pad2(c.month)}-${pad2(c.day)}T${t.text}.${pad3(t.ms)}Z`;
}

/** `ms` as an HTTP date (RFC 9110's IMF-fixdate), as `toUTCString` writes it: `Fri, 27 Nov 2026 06:40:37 GMT`. */
export function httpDate(ms: number): string {
  if (!(ms >= 0 && ms < YEAR_10000_MS)) return new Date(ms).toUTCString();
  const c = civil(Math.floor(ms));
  return `${WEEKDAYS[c.days % 7]}, ${pad2(c.day)} ${MONTHS[c.month - 1]} ${c.year} ${clock(c.time).text} GMT`;
}

let lastMs = -1;
let lastIso = '';

/** The current time as an ISO 8601 string, made at most once per millisecond (log lines, access log). */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = isoTime(ms);
  }
  return lastIso;
}

let dateSecond = -1;
let dateText = '';

/** The `Date` header's value now, made at most once a second (as node:http's own). */
export function httpDateNow(): string {
  const ms = Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = httpDate(ms);
  }
  return dateText;
}
