/**
 * schema/meshfile.schema.json against the corpus (with ajv, as editors use it), every valid fixture
 * against the published CRD schema of its apiVersion (../shared/istio-crds), and the committed
 * schema against a fresh generation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { buildMeshfileSchema, crdSpecSchema } from '../../../control/meshfile/generate-schema.ts';
import { kindInfo } from '../../../control/meshfile/kinds.ts';
import { loadCorpus } from './fixture-corpus.ts';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const CRDS = resolve(ROOT, '..', 'shared', 'istio-crds');
const SCHEMA_FILE = resolve(ROOT, 'schema', 'meshfile.schema.json');
const corpus = loadCorpus();

function ajv(): Ajv {
  // Kubernetes' x-kubernetes-* and dockmesh's x-dockmesh-* keywords are allowed and ignored.
  return new Ajv({ strict: false, allErrors: true, validateFormats: false });
}

function documents(text: string): Array<Record<string, unknown>> {
  return parseAllDocuments(text)
    .flatMap((d) => (Array.isArray(d) ? [] : [d]))
    .map((d) => d.toJS({ maxAliasCount: 100 }) as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object');
}

const validate = ajv().compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));

test('every valid fixture passes schema/meshfile.schema.json', () => {
  for (const f of corpus.filter((x) => x.group === 'valid')) {
    for (const doc of documents(f.text)) {
      assert.ok(validate(doc), `${f.name} ${String(doc.kind)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    }
  }
});

// Structural problems the JSON Schema can express must fail it too (semantic ones, and the 1ms
// minimum of durations, need the loader).
const SCHEMA_REJECTS = [
  'bad-api-version', 'bad-duration-number', 'bad-duration-unit', 'bad-enum',
  'bad-metadata-name', 'missing-metadata', 'missing-required-field', 'one-of-string-match', 'unknown-field',
  'unknown-kind', 'wrong-type-hosts', 'wrong-type-label', 'many-errors', 'canary-flagger-interval', 'mesh-rate-limit-mixed',
];

test('structurally invalid fixtures fail the schema', () => {
  for (const name of SCHEMA_REJECTS) {
    const f = corpus.find((x) => x.name === `invalid/${name}.yaml`);
    assert.ok(f, `fixture ${name} exists`);
    assert.ok(documents(f.text).some((doc) => !validate(doc)), `${name} should fail the schema`);
  }
});

const crdsPresent = existsSync(CRDS);
if (!crdsPresent) console.log(`# ${CRDS} not found: CRD checks skipped`);

test('every valid Istio/Flagger fixture validates against the published CRD of its apiVersion', () => {
  if (!crdsPresent) return;
  const validators = new Map<string, ValidateFunction>();
  let checked = 0;
  for (const f of corpus.filter((x) => x.group === 'valid')) {
    for (const doc of documents(f.text)) {
      const info = kindInfo(String(doc.kind));
      if (!info?.crdFile) continue;
      const version = String(doc.apiVersion).split('/')[1]!;
      const key = `${info.kind}/${version}`;
      if (!validators.has(key)) {
        const text = readFileSync(resolve(CRDS, info.crdFile), 'utf8');
        const crd = parseAllDocuments(text, { strict: false });
        const js = (Array.isArray(crd) ? crd[0] : crd)!.toJS() as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: { properties: { spec: object } } } }> } };
        const v = js.spec.versions.find((x) => x.name === version);
        assert.ok(v, `${info.crdFile} serves ${version}`);
        validators.set(key, ajv().compile(v.schema.openAPIV3Schema.properties.spec));
      }
      const check = validators.get(key)!;
      assert.ok(check(doc.spec ?? {}), `${f.name} ${key}: ${JSON.stringify(check.errors?.slice(0, 3))}`);
      checked++;
    }
  }
  assert.ok(checked >= 15, `checked ${checked} documents`);
});

test('the committed schema is what the generator makes from the CRDs', () => {
  if (!crdsPresent) return;
  const fresh = buildMeshfileSchema(CRDS);
  assert.equal(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')), fresh, 'run: node --import tsx control/meshfile/generate-schema.ts');
});

test('every version a CRD serves is accepted, and only those', () => {
  if (!crdsPresent) return;
  for (const k of ['VirtualService', 'DestinationRule', 'PeerAuthentication', 'AuthorizationPolicy', 'Canary']) {
    const info = kindInfo(k)!;
    const { versions } = crdSpecSchema(CRDS, info.crdFile!);
    assert.equal(info.apiVersions.map((a) => a.split('/')[1]).sort(), versions.sort());
  }
});

test.run();
