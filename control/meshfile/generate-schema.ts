/**
 * Writes schema/meshfile.schema.json (draft-07): one meshfile document, built from the published CRD
 * schemas of Istio and Flagger (../shared/istio-crds) plus dockmesh's `Mesh` kind, annotated with
 * `x-dockmesh-duration` (a duration string) and `x-dockmesh-unsupported` (parsed, not acted on).
 * The loader validates with this very file, so the editor schema and the loader cannot drift apart.
 *
 * Usage: node --import tsx control/meshfile/generate-schema.ts [crd-dir] [out-file]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { DURATION_PATTERN } from './duration.ts';
import { EXTRA_DURATION_FIELDS, UNSUPPORTED_FIELDS } from './field-support.ts';
import { KINDS } from './kinds.ts';
import { MESH_SPEC_SCHEMA } from './mesh-kind-schema.ts';
import { METRIC_TEMPLATE_SPEC_SCHEMA } from './metric-template-schema.ts';
import { ALERT_PROVIDER_SPEC_SCHEMA } from './alert-provider-schema.ts';
import { TELEMETRY_SPEC_SCHEMA } from './telemetry-schema.ts';
import { REQUEST_AUTHENTICATION_SPEC_SCHEMA } from './request-authentication-schema.ts';

type Schema = Record<string, unknown>;

const ROOT = resolve(import.meta.dirname, '..', '..');

/** The `spec` schema of every served version of a CRD; they must be identical (checked). */
export function crdSpecSchema(crdDir: string, file: string): { versions: string[]; spec: Schema } {
  const doc = parseDocument(readFileSync(resolve(crdDir, file), 'utf8'), { strict: false });
  const crd = doc.toJS() as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: { properties: { spec: Schema } } } }> } };
  const versions = crd.spec.versions.map((v) => v.name);
  const specs = crd.spec.versions.map((v) => JSON.stringify(v.schema.openAPIV3Schema.properties.spec));
  if (new Set(specs).size !== 1) throw new Error(`${file}: versions differ; teach the generator per-version schemas`);
  return { versions, spec: JSON.parse(specs[0]!) as Schema };
}

function isCelDuration(s: Schema): boolean {
  const rules = s['x-kubernetes-validations'] as Array<{ rule: string }> | undefined;
  return !!rules?.some((r) => r.rule.includes('duration(self)'));
}

function expandDurations(kind: string): Set<string> {
  const out = new Set<string>();
  for (const p of EXTRA_DURATION_FIELDS[kind] ?? []) {
    out.add(p);
    if (kind === 'DestinationRule' && p.startsWith('trafficPolicy.')) {
      const rest = p.slice('trafficPolicy.'.length);
      out.add(`trafficPolicy.portLevelSettings[].${rest}`);
      out.add(`subsets[].trafficPolicy.${rest}`);
      out.add(`subsets[].trafficPolicy.portLevelSettings[].${rest}`);
    }
  }
  return out;
}

/** Rewrites one CRD schema node: drops Kubernetes-only keywords, adds dockmesh's annotations. */
function annotate(s: Schema, path: string, kind: string, durations: Set<string>, seen: Set<string>): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-')) continue;
    out[k] = v;
  }
  if (s['x-kubernetes-int-or-string'] && !out.anyOf) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (out.type === 'string' && (isCelDuration(s) || durations.has(path))) {
    out['x-dockmesh-duration'] = true;
    if (isCelDuration(s)) out['x-dockmesh-duration-min-ms'] = 1;
    if (!out.pattern) out.pattern = DURATION_PATTERN;
    seen.add(path);
  }
  const reason = UNSUPPORTED_FIELDS[kind]?.[path];
  if (reason !== undefined) {
    out['x-dockmesh-unsupported'] = reason;
    out.description = `${(out.description as string | undefined) ?? ''} (dockmesh: not acted on: ${reason}.)`.trim();
    seen.add(path);
  }
  const props = s.properties as Record<string, Schema> | undefined;
  if (props) {
    out.properties = Object.fromEntries(
      Object.entries(props).map(([k, v]) => [k, annotate(v, path ? `${path}.${k}` : k, kind, durations, seen)]),
    );
    // The CRDs leave objects open to unknown fields only through preserve-unknown-fields; the
    // loader and editors must reject unknown fields.
    if (out.additionalProperties === undefined) out.additionalProperties = false;
  }
  if (s.items) out.items = annotate(s.items as Schema, `${path}[]`, kind, durations, seen);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    out.additionalProperties = annotate(s.additionalProperties as Schema, `${path}{}`, kind, durations, seen);
  }
  return out;
}

const METADATA = {
  type: 'object',
  description: 'Kubernetes object metadata; dockmesh reads name and namespace.',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' },
    namespace: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'Default: `default`. Qualifies short host names, as in Istio.' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
  additionalProperties: false,
};

/** Builds the whole meshfile document schema. */
export function buildMeshfileSchema(crdDir: string): Schema {
  const definitions: Schema = { metadata: METADATA };
  const branches: Schema[] = [];
  const apiVersions = new Set<string>();
  for (const k of KINDS) {
    let spec: Schema;
    if (k.crdFile) {
      const crd = crdSpecSchema(crdDir, k.crdFile);
      const expected = k.apiVersions.map((a) => a.split('/')[1]).sort();
      if (JSON.stringify(crd.versions.slice().sort()) !== JSON.stringify(expected)) {
        throw new Error(`${k.kind}: CRD serves ${crd.versions.join(', ')}, kinds.ts says ${expected.join(', ')}`);
      }
      const durations = expandDurations(k.kind);
      const seen = new Set<string>();
      spec = annotate(crd.spec, '', k.kind, durations, seen);
      // Port-level variants are generated for every traffic-policy field; not all exist there.
      const missing = [...durations, ...Object.keys(UNSUPPORTED_FIELDS[k.kind] ?? {})].filter(
        (p) => !seen.has(p) && !p.includes('portLevelSettings[]'),
      );
      if (missing.length) throw new Error(`${k.kind}: field-support.ts names fields the CRD lacks: ${missing.join(', ')}`);
    } else if (k.kind === 'Telemetry' || k.kind === 'RequestAuthentication') {
      const seen = new Set<string>();
      const durations = expandDurations(k.kind);
      spec = annotate(k.kind === 'Telemetry' ? TELEMETRY_SPEC_SCHEMA : REQUEST_AUTHENTICATION_SPEC_SCHEMA, '', k.kind, durations, seen);
      const missing = [...durations, ...Object.keys(UNSUPPORTED_FIELDS[k.kind] ?? {})].filter((p) => !seen.has(p));
      if (missing.length) throw new Error(`${k.kind}: field-support.ts names fields the schema lacks: ${missing.join(', ')}`);
    } else {
      spec = k.kind === 'MetricTemplate' ? METRIC_TEMPLATE_SPEC_SCHEMA : k.kind === 'AlertProvider' ? ALERT_PROVIDER_SPEC_SCHEMA : MESH_SPEC_SCHEMA;
    }
    definitions[`${k.kind}Spec`] = spec;
    for (const a of k.apiVersions) apiVersions.add(a);
    branches.push({
      if: { properties: { kind: { const: k.kind } }, required: ['kind'] },
      then: {
        required: k.kind === 'Mesh' ? ['apiVersion', 'kind'] : ['apiVersion', 'kind', 'metadata', 'spec'],
        properties: { apiVersion: { enum: k.apiVersions }, spec: { $ref: `#/definitions/${k.kind}Spec` } },
      },
    });
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://dockmesh.dev/schema/meshfile.schema.json',
    title: 'dockmesh meshfile document',
    description:
      'One document of a dockmesh meshfile (mesh.yaml): an Istio VirtualService, DestinationRule, ' +
      'PeerAuthentication, RequestAuthentication, AuthorizationPolicy or Telemetry, a Flagger Canary, ' +
      'MetricTemplate or AlertProvider, or a dockmesh Mesh. Generated by ' +
      'control/meshfile/generate-schema.ts from the published CRDs; do not edit.',
    type: 'object',
    required: ['apiVersion', 'kind'],
    properties: {
      apiVersion: { enum: [...apiVersions] },
      kind: { enum: KINDS.map((k) => k.kind) },
      metadata: { $ref: '#/definitions/metadata' },
      spec: { type: 'object' },
      status: { description: 'Written by Kubernetes controllers; ignored by dockmesh.' },
    },
    additionalProperties: false,
    allOf: branches,
    definitions,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const crdDir = resolve(process.argv[2] ?? resolve(ROOT, '..', 'shared', 'istio-crds'));
  const outFile = resolve(process.argv[3] ?? resolve(ROOT, 'schema', 'meshfile.schema.json'));
  writeFileSync(outFile, `${JSON.stringify(buildMeshfileSchema(crdDir), null, 1)}\n`);
  process.stdout.write(`wrote ${outFile}\n`);
}
