/**
 * Flagger's custom metrics: a Canary metric with `templateRef` runs its MetricTemplate's query
 * against Prometheus and checks the number it returns, as Flagger's Prometheus provider does.
 *
 * - The query is rendered as Flagger renders it (Go's text/template with Flagger's functions):
 *   `{{ name }}`, `{{ namespace }}`, `{{ target }}`, `{{ service }}`, `{{ ingress }}`,
 *   `{{ interval }}`, `{{ variables.<key> }}`; a key the metric's templateVariables lack fails the
 *   render, hence the check.
 * - Runs of whitespace become one space; `GET <address>/api/v1/query?query=…`, 5 s timeout; a
 *   status of 400 or more fails with the answer's body.
 * - The value is the last sample of the result (a vector; a scalar too); none is "no values found"
 *   and fails the check. NaN (say 0/0 with no traffic) counts as no value here, where Flagger's
 *   comparisons let it pass: a canary nobody called must not be promoted on it.
 */
import { fetch } from 'undici';
import { insecure } from './canary-webhook.ts';

/** What a template's query may name (Flagger's MetricTemplateModel). */
export interface TemplateModel {
  name: string;
  namespace: string;
  target: string;
  service: string;
  ingress: string;
  interval: string;
  variables: Readonly<Record<string, string>>;
}

const ACTION = /\{\{(.*?)\}\}/gs;

/** Renders a MetricTemplate query (pure); throws on an action it cannot render. */
export function renderQuery(template: string, m: TemplateModel): string {
  return template.replace(ACTION, (_all, inner: string) => {
    const name = inner.trim();
    const variable = /^variables\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(name);
    if (variable) {
      const v = m.variables[variable[1]!];
      if (v === undefined) throw new Error(`templateVariables has no "${variable[1]}"`);
      return v;
    }
    switch (name) {
      case 'name':
      case 'namespace':
      case 'target':
      case 'service':
      case 'ingress':
      case 'interval':
        return m[name];
      default:
        throw new Error(`"{{${inner}}}" is not a template variable`);
    }
  });
}

/** The number an `/api/v1/query` answer holds (pure): the last sample's value; undefined: no value (or NaN). */
export function queryValue(body: unknown): number | undefined {
  const data = (body as { data?: { resultType?: string; result?: unknown } }).data;
  let raw: unknown;
  if (data?.resultType === 'scalar' && Array.isArray(data.result)) raw = data.result[1];
  else if (Array.isArray(data?.result)) raw = (data.result.at(-1) as { value?: unknown[] } | undefined)?.value?.[1];
  if (typeof raw !== 'string') return undefined;
  // Prometheus writes infinities as Go does (`+Inf`, `-Inf`), which Number() does not read.
  const v = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
  return Number.isNaN(v) ? undefined : v;
}

const QUERY_TIMEOUT_MS = 5000;

/**
 * Runs an instant query; resolves its value (undefined: no values found) or rejects with why the
 * query failed. Credentials in the address (`http://user:password@host`) go as basic auth.
 */
export async function runPrometheusQuery(address: string, query: string, o: { insecureSkipVerify?: boolean } = {}): Promise<number | undefined> {
  const url = new URL(address);
  const headers: Record<string, string> = {};
  if (url.username) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  url.search = new URLSearchParams({ query: query.replace(/\s+/g, ' ') }).toString();
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(QUERY_TIMEOUT_MS), ...(o.insecureSkipVerify ? { dispatcher: insecure } : {}) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`error response: ${res.status} ${text.slice(0, 300)}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`error unmarshaling result: ${text.slice(0, 300)}`);
  }
  return queryValue(body);
}
