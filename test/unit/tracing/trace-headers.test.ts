import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { incomingTrace, parseTraceparent, pushTraceHeaders, traceparentOf, type TraceHeaders } from '../../../agent/tracing/trace-headers.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const h = (t: Omit<TraceHeaders, 'raw'>): TraceHeaders => ({ raw: [], ...t });

test('traceparent: valid, sampled flag, later versions, invalid forms', () => {
  const cases: Array<[string, ReturnType<typeof parseTraceparent>]> = [
    [`00-${TRACE}-${SPAN}-01`, { traceId: TRACE, spanId: SPAN, sampled: true }],
    [`00-${TRACE}-${SPAN}-00`, { traceId: TRACE, spanId: SPAN, sampled: false }],
    [`00-${TRACE}-${SPAN}-03`, { traceId: TRACE, spanId: SPAN, sampled: true }],
    [`00-${TRACE.toUpperCase()}-${SPAN}-01`, { traceId: TRACE, spanId: SPAN, sampled: true }],
    [` 00-${TRACE}-${SPAN}-01 `, { traceId: TRACE, spanId: SPAN, sampled: true }],
    [`01-${TRACE}-${SPAN}-01-future`, { traceId: TRACE, spanId: SPAN, sampled: true }],
    [`00-${TRACE}-${SPAN}-01-extra`, undefined],
    [`ff-${TRACE}-${SPAN}-01`, undefined],
    [`00-${'0'.repeat(32)}-${SPAN}-01`, undefined],
    [`00-${TRACE}-${'0'.repeat(16)}-01`, undefined],
    [`00-${TRACE.slice(1)}x-${SPAN}-01`, undefined],
    [`00-${TRACE}-${SPAN}`, undefined],
    ['garbage', undefined],
  ];
  for (const [v, want] of cases) assert.equal(parseTraceparent(v), want, v);
});

test('incoming trace: W3C wins, B3 single and multi, 64-bit B3 ids widened, sampling-only headers', () => {
  assert.is(incomingTrace(undefined), undefined);
  assert.is(incomingTrace(h({})), undefined);
  const w3c = incomingTrace(h({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'k=v', b3TraceId: 'a'.repeat(16), b3SpanId: 'b'.repeat(16) }));
  assert.equal(w3c, { traceId: TRACE, spanId: SPAN, sampled: true, tracestate: 'k=v', b3: 'multi', b3TraceId: undefined }, 'B3 of another trace: answered with the W3C id');
  const both = incomingTrace(h({ traceparent: `00-0000000000000000463ac35c9f6413ad-${SPAN}-01`, b3TraceId: '463ac35c9f6413ad', b3SpanId: SPAN }));
  assert.equal(both, { traceId: '0000000000000000463ac35c9f6413ad', spanId: SPAN, sampled: true, tracestate: undefined, b3: 'multi', b3TraceId: '463ac35c9f6413ad' });
  assert.is(incomingTrace(h({ traceparent: `00-${TRACE}-${SPAN}-01` }))!.b3, 'none');
  // An invalid traceparent falls back to B3 and drops tracestate (W3C: discard it).
  const fallback = incomingTrace(h({ traceparent: 'bad', tracestate: 'k=v', b3TraceId: '463ac35c9f6413ad', b3SpanId: 'a2fb4a1d1a96d312', b3Sampled: '0' }));
  assert.equal(fallback, { traceId: '0000000000000000463ac35c9f6413ad', spanId: 'a2fb4a1d1a96d312', sampled: false, tracestate: undefined, b3: 'multi', b3TraceId: '463ac35c9f6413ad' });
  assert.is(incomingTrace(h({ b3TraceId: TRACE, b3SpanId: SPAN }))!.sampled, undefined, 'no decision: the agent samples');
  assert.is(incomingTrace(h({ b3TraceId: TRACE, b3SpanId: SPAN, b3Flags: '1' }))!.sampled, true, 'debug');
  assert.is(incomingTrace(h({ b3TraceId: TRACE, b3SpanId: SPAN, b3Sampled: 'true' }))!.sampled, true);
  assert.equal(incomingTrace(h({ b3: `${TRACE}-${SPAN}-1-0020000000000001` })), { traceId: TRACE, spanId: SPAN, sampled: true, tracestate: undefined, b3: 'single', b3TraceId: TRACE });
  assert.equal(incomingTrace(h({ b3: `${TRACE}-${SPAN}` }))!.sampled, undefined);
  assert.equal(incomingTrace(h({ b3: `${TRACE}-${SPAN}-d` }))!.sampled, true);
  assert.equal(incomingTrace(h({ b3: '0' })), { traceId: undefined, spanId: undefined, sampled: false, tracestate: undefined, b3: 'single', b3TraceId: undefined });
  assert.equal(incomingTrace(h({ b3Sampled: '0' }))!.sampled, false);
  assert.is(incomingTrace(h({ b3: 'nonsense' })), undefined);
  assert.is(incomingTrace(h({ b3TraceId: 'xyz', b3SpanId: SPAN })), undefined);
});

test('headers for the next hop: traceparent always, tracestate kept, B3 in the caller\'s form', () => {
  const own = '1111111111111111';
  const push = (from: Parameters<typeof pushTraceHeaders>[4], sampled = true) => {
    const out: string[] = [];
    pushTraceHeaders(out, from?.traceId ?? TRACE, own, sampled, from);
    return out;
  };
  assert.equal(push(undefined), ['traceparent', `00-${TRACE}-${own}-01`]);
  assert.equal(push(undefined, false), ['traceparent', `00-${TRACE}-${own}-00`]);
  const w3c = incomingTrace(h({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'k=v' }));
  assert.equal(push(w3c), ['traceparent', `00-${TRACE}-${own}-01`, 'tracestate', 'k=v']);
  const multi = incomingTrace(h({ b3TraceId: '463ac35c9f6413ad', b3SpanId: SPAN, b3Sampled: '1' }));
  assert.equal(push(multi), [
    'traceparent', `00-0000000000000000463ac35c9f6413ad-${own}-01`,
    'x-b3-traceid', '463ac35c9f6413ad', 'x-b3-spanid', own, 'x-b3-sampled', '1', 'x-b3-parentspanid', SPAN,
  ]);
  const single = incomingTrace(h({ b3: `${TRACE}-${SPAN}-1` }));
  assert.equal(push(single), ['traceparent', `00-${TRACE}-${own}-01`, 'b3', `${TRACE}-${own}-1-${SPAN}`]);
  assert.is(traceparentOf(TRACE, own, true), `00-${TRACE}-${own}-01`);
});

test.run();
