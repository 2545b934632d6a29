-- Loaded by bench/load/wrk.ts with `wrk -s`. Defines only done(), so wrk keeps its fast static
-- request path; at the end it prints one machine-readable line with exact microsecond percentiles
-- (wrk's own --latency text rounds them).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"min":%d,"mean":%.2f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
