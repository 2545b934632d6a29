/**
 * `npm run build`: bundles the agent and the control server into ESM files with esbuild (an entry
 * file each, and the chunks it loads on first need).
 *
 *   node --import tsx scripts/bundle.ts                  agent/main.ts → .build/agent/agent.mjs, control/main.ts → .build/control/control.mjs
 *   node --import tsx scripts/bundle.ts agent            just one
 *   node --import tsx scripts/bundle.ts name=path/to/entry.ts [--out-dir DIR] [--root DIR]
 *
 * The bundling itself (options, banner, externals) lives in cli/images/bundler.ts, shared with the
 * image builder, which bundles in memory and never reads .build/.
 */
import { resolve } from 'node:path';
import { bundle, bundleSize, type BundleEntry } from '../cli/images/bundler.ts';
import { ImageError } from '../cli/images/image-error.ts';

/** Parses `name` or `name=entry` arguments and the flags; pure. */
export function parseBundleArgs(argv: readonly string[]): { entries: BundleEntry[]; outDir: string; root?: string } {
  const entries: BundleEntry[] = [];
  let outDir = '.build';
  let root: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out-dir') outDir = argv[++i] ?? outDir;
    else if (a === '--root') root = argv[++i];
    else if (a.includes('=')) {
      const [name, entry] = a.split('=', 2) as [string, string];
      entries.push({ name, entry });
    } else entries.push({ name: a, entry: `${a}/main.ts` });
  }
  if (entries.length === 0) entries.push({ name: 'agent', entry: 'agent/main.ts' }, { name: 'control', entry: 'control/main.ts' });
  return root === undefined ? { entries, outDir } : { entries, outDir, root };
}

async function main(): Promise<void> {
  const args = parseBundleArgs(process.argv.slice(2));
  const root = resolve(args.root ?? resolve(import.meta.dirname, '..'));
  const started = Date.now();
  try {
    const outputs = await bundle({ root, entries: args.entries, outDir: args.outDir });
    for (const o of outputs) {
      console.log(`${o.path}  ${bundleSize(o)}  (${o.inputs.length} project files)`);
    }
    console.log(`bundled ${outputs.length} in ${Date.now() - started} ms`);
  } catch (err) {
    if (err instanceof ImageError) {
      console.error(`${err.code}: ${err.message}`);
      process.exitCode = 1;
    } else throw err;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
