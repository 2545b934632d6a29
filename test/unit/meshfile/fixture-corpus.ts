/**
 * Reads the meshfile fixture corpus (test/fixtures/meshfiles/{valid,invalid}/*.yaml) and each file's
 * leading comment header:
 *   # expect: MESH_ERR_WEIGHT_SUM 7:11     one line per expected diagnostic (code line:column)
 *   # context: shop                        check against contexts/shop.json
 *   # valid: true|false                    expected `valid` (default: true in valid/, false in invalid/)
 *   # disabled: VirtualService/reviews     documents expected to be disabled
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MeshfileContext } from '../../../control/meshfile/host-resolver.ts';

export const FIXTURES = resolve(import.meta.dirname, '..', '..', 'fixtures', 'meshfiles');

export interface Fixture {
  name: string;
  group: 'valid' | 'invalid';
  path: string;
  text: string;
  expect: string[];
  valid: boolean;
  disabled: string[];
  ctx?: MeshfileContext;
}

function header(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    out.push(line.slice(1).trim());
  }
  return out;
}

export function loadCorpus(): Fixture[] {
  const out: Fixture[] = [];
  for (const group of ['valid', 'invalid'] as const) {
    for (const name of readdirSync(join(FIXTURES, group)).filter((n) => n.endsWith('.yaml')).sort()) {
      const path = join(FIXTURES, group, name);
      const text = readFileSync(path, 'utf8');
      const f: Fixture = { name: `${group}/${name}`, group, path, text, expect: [], valid: group === 'valid', disabled: [] };
      for (const h of header(text)) {
        const m = /^(expect|context|valid|disabled):\s*(.*)$/.exec(h);
        if (!m) continue;
        const [, key, value] = m as unknown as [string, string, string];
        if (key === 'expect') f.expect.push(value.replace(/\s+/g, ' '));
        else if (key === 'valid') f.valid = value === 'true';
        else if (key === 'disabled') f.disabled.push(value);
        else f.ctx = JSON.parse(readFileSync(join(FIXTURES, 'contexts', `${value}.json`), 'utf8')) as MeshfileContext;
      }
      out.push(f);
    }
  }
  return out;
}
