import { isIP } from 'node:net';
import { STANDARD_METRICS, TRACE_PROTOCOLS, type AgentSnapshot } from '../wire/types.ts';

/** Outcome of {@link validateSnapshot}. */
export type SnapshotCheck =
  | { ok: true; snapshot: AgentSnapshot }
  | { ok: false; error: string; version: number };

const MAX_ERRORS = 5;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPort = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 65535;
const isStringMap = (v: unknown): boolean => isObj(v) && Object.values(v).every((x) => typeof x === 'string');

const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isHttpUrl = (v: unknown): boolean => typeof v === 'string' && /^https?:\/\//i.test(v) && URL.canParse(v);

/** The traffic parts of a service: shapes the route compiler relies on (pure). */
function checkRoutes(s: Obj, p: string, bad: (path: string, what: string) => void): void {
  const dest = (d: unknown, q: string) => {
    if (!isObj(d) || typeof d.service !== 'string' || typeof d.namespace !== 'string') bad(q, 'expected {service, namespace}');
  };
  const weighted = (list: unknown, q: string) => {
    if (!Array.isArray(list)) return bad(q, 'expected an array');
    list.forEach((w: unknown, k: number) => {
      if (!isObj(w) || !isNum(w.weight)) return bad(`${q}[${k}]`, 'expected {destination, weight}');
      dest(w.destination, `${q}[${k}].destination`);
    });
  };
  if (s.http !== undefined) {
    if (!Array.isArray(s.http)) bad(`${p}.http`, 'expected an array');
    else s.http.forEach((r: unknown, k: number) => {
      const q = `${p}.http[${k}]`;
      if (!isObj(r) || !Array.isArray(r.match)) return bad(q, 'expected a route with a match array');
      if (r.route !== undefined) weighted(r.route, `${q}.route`);
      if (r.timeoutMs !== undefined && !isNum(r.timeoutMs)) bad(`${q}.timeoutMs`, 'expected a number of ms');
      if (r.retries !== undefined && (!isObj(r.retries) || !isNum(r.retries.attempts) || !Array.isArray(r.retries.retryOn))) bad(`${q}.retries`, 'expected {attempts, retryOn}');
      if (Array.isArray(r.mirrors)) r.mirrors.forEach((m: unknown, j: number) => dest(isObj(m) ? m.destination : undefined, `${q}.mirrors[${j}].destination`));
    });
  }
  /** TLS or TCP routes: a match array each (`block` checks each match block) and weighted destinations. */
  const l4Routes = (list: unknown, q: string, block?: (m: unknown, path: string) => void) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) return bad(q, 'expected an array');
    list.forEach((r: unknown, k: number) => {
      if (!isObj(r) || !Array.isArray(r.match)) return bad(`${q}[${k}]`, 'expected a route with a match array');
      if (block) r.match.forEach((m: unknown, j: number) => block(m, `${q}[${k}].match[${j}]`));
      weighted(r.route, `${q}[${k}].route`);
    });
  };
  l4Routes(s.tls, `${p}.tls`, (m, q) => {
    if (!isObj(m) || !Array.isArray(m.sniHosts) || !m.sniHosts.every((h) => typeof h === 'string')) bad(`${q}.sniHosts`, 'expected an array of names');
  });
  l4Routes(s.tcp, `${p}.tcp`);
  if (s.subsets !== undefined && (!Array.isArray(s.subsets) || !s.subsets.every((x) => isObj(x) && typeof x.name === 'string' && isStringMap(x.labels)))) {
    bad(`${p}.subsets`, 'expected [{name, labels}]');
  }
  const rl = s.rateLimit;
  if (rl !== undefined && (!isObj(rl) || !isNum(rl.maxTokens) || !isNum(rl.tokensPerFill) || !(isNum(rl.fillIntervalMs) && (rl.fillIntervalMs as number) > 0))) {
    bad(`${p}.rateLimit`, 'expected {maxTokens, tokensPerFill, fillIntervalMs > 0}');
  }
}

/**
 * Checks that a value received on the wire is a usable {@link AgentSnapshot} (pure). On failure the
 * error names the first few offending JSON paths, and `version` is the claimed version (0 if none),
 * for the NACK.
 */
export function validateSnapshot(value: unknown): SnapshotCheck {
  const errors: string[] = [];
  const bad = (path: string, what: string) => {
    if (errors.length < MAX_ERRORS) errors.push(`${path}: ${what}`);
  };
  const str = (o: Obj, key: string, path: string) => {
    if (typeof o[key] !== 'string' || o[key] === '') bad(`${path}.${key}`, 'expected a non-empty string');
  };
  if (!isObj(value)) return { ok: false, error: '$: expected an object', version: 0 };
  const version = Number.isInteger(value.version) && (value.version as number) >= 0 ? (value.version as number) : 0;
  if (!Number.isInteger(value.version) || (value.version as number) < 0) bad('$.version', 'expected an integer >= 0');
  if (typeof value.hash !== 'string') bad('$.hash', 'expected a string');
  const self = value.self;
  if (!isObj(self)) bad('$.self', 'expected an object');
  else {
    for (const k of ['service', 'namespace', 'workload']) str(self, k, '$.self');
    if (typeof self.container !== 'string') bad('$.self.container', 'expected a string');
    if (!isStringMap(self.labels)) bad('$.self.labels', 'expected a map of strings');
  }
  if (!isObj(value.mesh) || !Array.isArray(value.mesh.excludedPorts) || !value.mesh.excludedPorts.every(isPort)) {
    bad('$.mesh.excludedPorts', 'expected an array of ports');
  }
  const tracing = isObj(value.mesh) ? value.mesh.tracing : undefined;
  if (tracing !== undefined && (!isObj(tracing) || !isHttpUrl(tracing.endpoint) || !isNum(tracing.samplingPercent) || (tracing.samplingPercent as number) > 100)) {
    bad('$.mesh.tracing', 'expected {endpoint: an http(s) URL, samplingPercent: 0-100}');
  }
  if (isObj(tracing) && tracing.protocol !== undefined && !(TRACE_PROTOCOLS as readonly unknown[]).includes(tracing.protocol)) {
    bad('$.mesh.tracing.protocol', `expected ${TRACE_PROTOCOLS.join(' or ')}`);
  }
  for (const dir of ['outbound', 'inbound'] as const) {
    const d = isObj(tracing) ? tracing[dir] : undefined;
    if (d !== undefined && (!isObj(d) || !isNum(d.samplingPercent) || (d.samplingPercent as number) > 100 || typeof d.report !== 'boolean')) {
      bad(`$.mesh.tracing.${dir}`, 'expected {samplingPercent: 0-100, report: boolean}');
    }
    const tags = isObj(d) ? d.tags : undefined;
    if (tags !== undefined) {
      const ok = isObj(tags) && Object.values(tags).every((t) => isObj(t) && (typeof t.literal === 'string'
        || ((typeof t.environment === 'string' || typeof t.header === 'string') && (t.defaultValue === undefined || typeof t.defaultValue === 'string'))));
      if (!ok) bad(`$.mesh.tracing.${dir}.tags`, 'expected {name: {literal} or {environment, defaultValue?} or {header, defaultValue?}}');
    }
  }
  const accessLog = isObj(value.mesh) ? value.mesh.accessLog : undefined;
  if (accessLog !== undefined && (!isObj(accessLog) || typeof accessLog.inbound !== 'boolean' || typeof accessLog.outbound !== 'boolean'
    || (accessLog.inboundFilter !== undefined && typeof accessLog.inboundFilter !== 'string') || (accessLog.outboundFilter !== undefined && typeof accessLog.outboundFilter !== 'string'))) {
    bad('$.mesh.accessLog', 'expected {inbound: boolean, outbound: boolean, inboundFilter?: string, outboundFilter?: string}');
  }
  const metrics = isObj(value.mesh) ? value.mesh.metrics : undefined;
  if (metrics !== undefined) {
    if (!isObj(metrics)) bad('$.mesh.metrics', 'expected {outbound?, inbound?, tcpReportingIntervalMs?}');
    else {
      const ms = metrics.tcpReportingIntervalMs;
      if (ms !== undefined && !(isNum(ms) && (ms as number) > 0)) bad('$.mesh.metrics.tcpReportingIntervalMs', 'expected a positive number of milliseconds');
      for (const dir of ['outbound', 'inbound'] as const) {
        const d = metrics[dir];
        if (d === undefined) continue;
        const ok = isObj(d) && Object.entries(d).every(([name, o]) => (STANDARD_METRICS as readonly string[]).includes(name) && isObj(o)
          && (o.disabled === undefined || typeof o.disabled === 'boolean')
          && (o.tags === undefined || (isObj(o.tags) && Object.values(o.tags).every((v) => v === null || typeof v === 'string'))));
        if (!ok) bad(`$.mesh.metrics.${dir}`, `expected {metric: {disabled?: boolean, tags?: {name: string or null}}}, metrics among ${STANDARD_METRICS.join(', ')}`);
      }
    }
  }
  const tapKeyHash = isObj(value.mesh) ? value.mesh.tapKeyHash : undefined;
  if (tapKeyHash !== undefined && (typeof tapKeyHash !== 'string' || !/^[0-9a-f]{64}$/.test(tapKeyHash))) {
    bad('$.mesh.tapKeyHash', 'expected 64 lower-case hex digits (SHA-256)');
  }
  if (!Array.isArray(value.services)) bad('$.services', 'expected an array');
  else {
    const seen = new Set<string>();
    value.services.forEach((s: unknown, i: number) => {
      const p = `$.services[${i}]`;
      if (!isObj(s)) return bad(p, 'expected an object');
      str(s, 'name', p);
      str(s, 'namespace', p);
      const key = `${s.name}.${s.namespace}`;
      if (seen.has(key)) bad(`${p}.name`, `duplicate service ${key}`);
      seen.add(key);
      if (!Array.isArray(s.hosts) || !s.hosts.every((h) => typeof h === 'string' && h !== '')) {
        bad(`${p}.hosts`, 'expected an array of names');
      }
      if (!Array.isArray(s.ports) || !s.ports.every(isPort)) bad(`${p}.ports`, 'expected an array of ports');
      if (!Array.isArray(s.endpoints)) return bad(`${p}.endpoints`, 'expected an array');
      s.endpoints.forEach((e: unknown, j: number) => {
        const q = `${p}.endpoints[${j}]`;
        if (!isObj(e)) return bad(q, 'expected an object');
        if (typeof e.container !== 'string') bad(`${q}.container`, 'expected a string');
        str(e, 'workload', q);
        if (typeof e.address !== 'string' || isIP(e.address) === 0) bad(`${q}.address`, 'expected an IP address');
        if (!isPort(e.port)) bad(`${q}.port`, 'expected a port');
        if (e.dial !== undefined && (!isObj(e.dial) || typeof e.dial.address !== 'string' || !isPort(e.dial.port))) {
          bad(`${q}.dial`, 'expected {address, port}');
        }
        if (typeof e.meshed !== 'boolean') bad(`${q}.meshed`, 'expected a boolean');
        if (e.ready !== undefined && typeof e.ready !== 'boolean') bad(`${q}.ready`, 'expected a boolean');
        if (!isStringMap(e.labels)) bad(`${q}.labels`, 'expected a map of strings');
      });
      checkRoutes(s, p, bad);
    });
  }
  if (errors.length > 0) return { ok: false, error: errors.join('; '), version };
  return { ok: true, snapshot: value as unknown as AgentSnapshot };
}
