/** The PromQL of the bundled Grafana dashboards (compose/observability/grafana/dashboards), for tests. */

export interface Panel {
  type: string;
  title: string;
  description?: string;
  id: number;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Array<{ refId: string; expr: string; datasource: { type: string; uid: string } }>;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query: { query: string } | string; datasource: { uid: string } }> };
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  raw: string;
  /** Metric names the query reads, as the agents' `# TYPE` lines name them (histograms without `_bucket`). */
  metrics: string[];
  /** The query as Grafana sends it: `$__rate_interval` 1m, the variables replaced. */
  expr: (vars: Record<string, string>) => string;
}

/** Metric names in a PromQL expression: the mesh's (istio_*, dockmesh_*) and Prometheus' `up`. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/\b((?:istio|dockmesh)_[a-z0-9_]+|up)\b(?=\s*[{[])/g)) names.add(m[1]!.replace(/_(bucket|sum|count)$/, ''));
  return [...names];
}

export function dashboardQueries(json: string, name: string): DashboardQuery[] {
  const d = JSON.parse(json) as Dashboard;
  const out: DashboardQuery[] = [];
  for (const p of d.panels) {
    for (const t of p.targets ?? []) {
      out.push({
        dashboard: name,
        panel: p.title,
        raw: t.expr,
        metrics: metricNames(t.expr),
        expr: (vars) => t.expr.replaceAll('$__rate_interval', '1m').replace(/\$([a-z_]+)/g, (all, v: string) => vars[v] ?? all),
      });
    }
  }
  return out;
}
