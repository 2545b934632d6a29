/**
 * Pure: the services of a compose file, for validating a meshfile offline (`mesh check` without a
 * running project): logical service names, their labels and the ports they declare.
 */
import { isMap, isScalar, isSeq, LineCounter, parse, parseDocument, type Node } from 'yaml';
import type { Diagnostic } from '../control/meshfile/diagnostics.ts';
import { DEFAULT_NAMESPACE, namespaceLabelProblem, namespaceOf } from '../control/discovery/labels.ts';
import { LABELS } from '../wire/types.ts';

/** One logical service as the meshfile sees it. */
export interface ComposeServiceInfo {
  name: string;
  namespace: string;
  hosts: string[];
  labelSets: Array<Record<string, string>>;
  ports: number[];
}

function labelsOf(raw: unknown): Record<string, string> {
  if (Array.isArray(raw)) {
    const out: Record<string, string> = {};
    for (const item of raw) {
      const [k, ...v] = String(item).split('=');
      if (k) out[k] = v.join('=');
    }
    return out;
  }
  if (raw && typeof raw === 'object') {
    return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]));
  }
  return {};
}

function portsOf(svc: Record<string, unknown>): number[] {
  const out = new Set<number>();
  for (const e of (svc.expose as unknown[]) ?? []) {
    const n = parseInt(String(e), 10);
    if (n > 0) out.add(n);
  }
  for (const p of (svc.ports as unknown[]) ?? []) {
    const target = typeof p === 'object' && p ? (p as { target?: unknown }).target : String(p).split(':').at(-1);
    const n = parseInt(String(target), 10);
    if (n > 0) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Services of a compose file's text, grouped by logical service (`dockmesh.service` label) in its
 * namespace (`dockmesh.namespace` label, else `namespace`).
 */
export function composeServices(text: string, namespace = DEFAULT_NAMESPACE): ComposeServiceInfo[] {
  const doc = parse(text) as { services?: Record<string, Record<string, unknown>> } | null;
  const byKey = new Map<string, ComposeServiceInfo>();
  for (const [compose, svc] of Object.entries(doc?.services ?? {})) {
    const labels = labelsOf(svc?.labels);
    const name = labels[LABELS.service] || compose;
    const ns = namespaceOf(labels) ?? namespace;
    const key = `${ns}/${name}`;
    const info = byKey.get(key) ?? { name, namespace: ns, hosts: [name], labelSets: [], ports: [] };
    info.hosts = [...new Set([...info.hosts, compose])];
    const aliases = Object.values((svc?.networks as Record<string, { aliases?: string[] } | null>) ?? {})
      .flatMap((n) => (n && !Array.isArray(n) ? n.aliases ?? [] : []));
    info.hosts = [...new Set([...info.hosts, ...aliases])].sort();
    info.labelSets.push(labels);
    info.ports = [...new Set([...info.ports, ...portsOf(svc ?? {})])].sort((a, b) => a - b);
    byKey.set(key, info);
  }
  return [...byKey.values()].sort((a, b) => a.name.localeCompare(b.name) || a.namespace.localeCompare(b.namespace));
}

/**
 * dockmesh labels of the compose file's services whose values dockmesh cannot use (today
 * `dockmesh.namespace`), with their positions: what the control server would only log.
 */
export function composeLabelProblems(text: string, file: string): Diagnostic[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const services = isMap(doc.contents) ? doc.contents.get('services', true) : undefined;
  const out: Diagnostic[] = [];
  if (!isMap(services)) return out;
  for (const pair of services.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const labels = isMap(pair.value) ? pair.value.get('labels', true) : undefined;
    const report = (value: string, node: Node | null | undefined) => {
      const problem = namespaceLabelProblem(value);
      if (!problem) return;
      const at = lines.linePos(node?.range?.[0] ?? 0);
      out.push({ severity: 'error', code: 'MESH_ERR_BAD_LABEL', message: `${problem}; the container stays in namespace "${DEFAULT_NAMESPACE}"`, file, line: at.line, column: at.col, path: `services.${name}.labels.${LABELS.namespace}` });
    };
    if (isMap(labels)) {
      for (const l of labels.items) {
        if (isScalar(l.key) && l.key.value === LABELS.namespace) report(String(isScalar(l.value) ? l.value.value ?? '' : ''), l.value as Node);
      }
    } else if (isSeq(labels)) {
      for (const item of labels.items) {
        const v = isScalar(item) ? String(item.value) : '';
        if (v.startsWith(`${LABELS.namespace}=`)) report(v.slice(LABELS.namespace.length + 1), item as Node);
      }
    }
  }
  return out;
}
