/**
 * Pure: meshfile text → frozen MeshSpec + every diagnostic at once. Multi-document YAML with
 * positions; each document validated against schema/meshfile.schema.json (generated from Istio's and
 * Flagger's CRDs), then checked for Istio's semantics, then across documents (and against the project
 * when a context is given).
 *
 * `valid: false` means the file as a whole must not be applied (keep the last good config).
 * A document with only object-scoped errors is left out of `spec` and listed in `disabled`.
 */
import { isMap, isPair, isScalar, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import schemaJson from '../../schema/meshfile.schema.json' with { type: 'json' };
import type { Diagnostic } from './diagnostics.ts';
import { DocReporter, FileReport, type DisabledObject } from './doc-reporter.ts';
import { hostLookup, type MeshfileContext } from './host-resolver.ts';
import { kindInfo, KINDS } from './kinds.ts';
import { EMPTY_MESH_SPEC, type MeshObject, type MeshSpec } from './mesh-spec.ts';
import { PositionIndex, type Pos } from './position-index.ts';
import { ReferenceChecks, type LoadedDoc } from './reference-checks.ts';
import { mergeDelegates } from './delegate.ts';
import { SchemaWalker, suggest, type JsonSchema } from './schema-walker.ts';
import { checkSemantics } from './semantic-checks.ts';

/** Largest meshfile accepted, in bytes. */
export const MAX_MESHFILE_BYTES = 1024 * 1024;
/** Most alias expansions per document (a "billion laughs" document exceeds it). */
export const MAX_ALIAS_COUNT = 100;

const SCHEMA = schemaJson as unknown as JsonSchema;

export interface MeshfileResult {
  /** False: structural errors; do not apply anything from this file. */
  valid: boolean;
  /** The enabled documents (frozen). Complete only when `valid`. */
  spec: MeshSpec;
  /** Errors and warnings, in file order. */
  diagnostics: Diagnostic[];
  /** Documents left out of `spec` by object-scoped errors (unknown host, unknown subset, ...). */
  disabled: DisabledObject[];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function scalarAt(map: import('yaml').YAMLMap, key: string): { value: unknown; node: Node | null } | undefined {
  for (const p of map.items) {
    if (isPair(p) && isScalar(p.key) && p.key.value === key) return { value: isScalar(p.value) ? p.value.value : p.value, node: p.value as Node | null };
  }
  return undefined;
}

interface DocOutcome {
  loaded?: LoadedDoc;
  object?: MeshObject<unknown>;
}

function loadDocument(doc: Document, index: number, file: string, lines: LineCounter, report: FileReport): DocOutcome {
  const root = doc.contents;
  const startPos = (offset: number | undefined): Pos => {
    const lp = lines.linePos(offset ?? 0);
    return { line: lp.line, column: lp.col };
  };
  const docPos = startPos(root?.range?.[0]);
  if (!isMap(root)) {
    report.add('MESH_ERR_NOT_A_MAPPING', 'a meshfile document must be a mapping with apiVersion, kind, metadata and spec', docPos);
    return {};
  }
  const positions = new PositionIndex(docPos);
  const kindField = scalarAt(root, 'kind');
  const kind = typeof kindField?.value === 'string' ? kindField.value : '';
  const meta = scalarAt(root, 'metadata')?.node;
  const name = isMap(meta) ? String(scalarAt(meta, 'name')?.value ?? '') : '';
  const namespace = isMap(meta) && typeof scalarAt(meta, 'namespace')?.value === 'string' ? String(scalarAt(meta, 'namespace')!.value) : 'default';
  const r = new DocReporter(report, { kind: kind || '?', name: name || (kind === 'Mesh' ? 'mesh' : ''), namespace, index }, positions);
  const walker = new SchemaWalker(SCHEMA, doc, lines, positions, (code, path, pos, message) => r.reportAt(code, path, message, pos));

  const info = kindInfo(kind);
  if (!kindField) r.reportAt('MESH_ERR_MISSING_FIELD', 'kind', 'missing required field "kind"', docPos);
  else if (!info) {
    const hint = suggest(kind, KINDS.map((k) => k.kind));
    r.reportAt('MESH_ERR_UNKNOWN_KIND', 'kind', `kind ${JSON.stringify(kindField.value)} is not supported: use ${KINDS.map((k) => k.kind).join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, walker.pos(kindField.node, docPos));
  }
  const api = scalarAt(root, 'apiVersion');
  if (!api) r.reportAt('MESH_ERR_MISSING_FIELD', 'apiVersion', 'missing required field "apiVersion"', docPos);
  else if (info && !info.apiVersions.includes(String(api.value))) {
    r.reportAt('MESH_ERR_UNSUPPORTED_API_VERSION', 'apiVersion', `apiVersion ${JSON.stringify(api.value)} does not serve ${kind}: use ${info.apiVersions.join(', ')}`, walker.pos(api.node, docPos));
  }

  let spec: unknown;
  let ok = !!info && !!api && info.apiVersions.includes(String(api.value));
  let sawSpec = false;
  let sawMeta = false;
  for (const p of root.items) {
    if (!isPair(p)) continue;
    const key = isScalar(p.key) ? String(p.key.value) : '';
    const keyPos = walker.pos(p.key as Node, docPos);
    positions.setKey(key, keyPos);
    if (key === 'apiVersion' || key === 'kind') continue;
    if (key === 'metadata') {
      sawMeta = true;
      if (walker.walk(p.value, SCHEMA.definitions!.metadata!, 'metadata', keyPos) === undefined) ok = false;
    } else if (key === 'spec') {
      sawSpec = true;
      if (!info) continue;
      spec = walker.walk(p.value, SCHEMA.definitions![`${info.kind}Spec`]!, 'spec', keyPos);
      if (spec === undefined) ok = false;
    } else if (key === 'status') {
      r.reportAt('MESH_WARN_UNSUPPORTED_FIELD', 'status', 'field "status" is written by Kubernetes controllers and is ignored', keyPos);
    } else {
      const hint = suggest(key, ['apiVersion', 'kind', 'metadata', 'spec']);
      r.reportAt('MESH_ERR_UNKNOWN_FIELD', key, `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}`, keyPos);
      ok = false;
    }
  }
  if (info && info.kind !== 'Mesh') {
    if (!sawMeta) r.reportAt('MESH_ERR_MISSING_FIELD', 'metadata', 'missing required field "metadata" (with name)', docPos);
    if (!sawSpec) r.reportAt('MESH_ERR_MISSING_FIELD', 'spec', 'missing required field "spec"', docPos);
    if (!sawMeta || !sawSpec) ok = false;
  }
  if (!ok || !info) return {};
  spec ??= {};
  checkSemantics(info.kind, spec, r);
  const object: MeshObject<unknown> = { kind: info.kind, apiVersion: String(api!.value), name: r.name, namespace, file, line: docPos.line, index, spec };
  return { loaded: { kind: info.kind, name: r.name, namespace, spec, r }, object };
}

/**
 * Loads a meshfile. `file` is only used in diagnostics. With `ctx`, hosts and subsets are checked
 * against the project's services and containers.
 */
export function loadMeshfile(text: string, file: string, ctx?: MeshfileContext): MeshfileResult {
  const report = new FileReport(file);
  if (Buffer.byteLength(text, 'utf8') > MAX_MESHFILE_BYTES) {
    report.add('MESH_ERR_FILE_TOO_LARGE', `the meshfile is ${Buffer.byteLength(text, 'utf8')} bytes; the limit is ${MAX_MESHFILE_BYTES}`, { line: 1, column: 1 });
    return { valid: false, spec: EMPTY_MESH_SPEC, diagnostics: report.diagnostics, disabled: [] };
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const outcomes: DocOutcome[] = [];
  list.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const lp = lines.linePos(e.pos[0]);
        const code = e.code === 'DUPLICATE_KEY' ? 'MESH_ERR_DUPLICATE_KEY' : 'MESH_ERR_YAML_SYNTAX';
        report.add(code, e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), { line: lp.line, column: lp.col });
      }
      return;
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    try {
      doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const lp = lines.linePos(doc.contents.range?.[0] ?? 0);
      report.add('MESH_ERR_ALIAS_BOMB', `aliases expand too much (${(err as Error).message}); the limit is ${MAX_ALIAS_COUNT} alias expansions per document`, { line: lp.line, column: lp.col });
      return;
    }
    outcomes.push(loadDocument(doc, index, file, lines, report));
  });
  const loaded = outcomes.flatMap((o) => (o.loaded ? [o.loaded] : []));
  new ReferenceChecks(loaded, hostLookup(ctx), ctx).run();

  const enabled = outcomes.flatMap((o) => (o.object && !report.disabled.has(o.object.index) ? [o.object] : []));
  const of = <S>(kind: string) => enabled.filter((o) => o.kind === kind) as MeshObject<S>[];
  const spec: MeshSpec = {
    virtualServices: mergeDelegates(of('VirtualService')),
    destinationRules: of('DestinationRule'),
    peerAuthentications: of('PeerAuthentication'),
    authorizationPolicies: of('AuthorizationPolicy'),
    canaries: of('Canary'),
    metricTemplates: of('MetricTemplate'),
    alertProviders: of('AlertProvider'),
    telemetries: of('Telemetry'),
    requestAuthentications: of('RequestAuthentication'),
  };
  const mesh = of<NonNullable<MeshSpec['mesh']>['spec']>('Mesh')[0];
  if (mesh) spec.mesh = mesh;
  const diagnostics = report.diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.line - b.d.line || a.d.column - b.d.column || a.i - b.i)
    .map((x) => x.d);
  return { valid: !report.invalid, spec: deepFreeze(spec), diagnostics, disabled: [...report.disabled.values()].sort((a, b) => a.index - b.index) };
}
