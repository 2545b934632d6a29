import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { IMAGE_ERROR_CODES, ImageError } from './image-error.ts';

/** One bundle to make: `agent/main.ts` → `<name>.mjs`. */
export interface BundleEntry {
  /** Output base name: `agent` gives `agent.mjs`. */
  name: string;
  /** Entry file, relative to the root. */
  entry: string;
}

/** Input of {@link bundle}. */
export interface BundleOptions {
  /** Repository root: entries and reported inputs are relative to it. */
  root: string;
  entries: readonly BundleEntry[];
  /** Write `<outDir>/<name>/<name>.mjs` (outDir relative to root, or absolute) as well as returning the bytes. */
  outDir?: string;
}

/** One finished bundle. */
export interface BundleOutput {
  name: string;
  /** File name inside the image: `<name>.mjs`. */
  file: string;
  contents: Uint8Array;
  /** Where it was written, when `outDir` was given. */
  path?: string;
  /** Root-relative project files esbuild read (node_modules excluded), sorted. */
  inputs: string[];
}

/**
 * Runs first in every bundle: ESM has no `require`, `__filename` or `__dirname`, and CommonJS
 * dependencies bundled into ESM (dockerode, ssh2, …) use them. esbuild renames any top-level
 * `require`/`__dirname` of our own modules away from these names, so they cannot collide.
 */
export const ESM_CJS_BANNER = [
  "import { createRequire as __dmCreateRequire } from 'node:module';",
  "import { fileURLToPath as __dmFileURLToPath } from 'node:url';",
  "import { dirname as __dmDirname } from 'node:path';",
  'const require = __dmCreateRequire(import.meta.url);',
  'const __filename = __dmFileURLToPath(import.meta.url);',
  'const __dirname = __dmDirname(__filename);',
].join(' ');

/**
 * Left out of bundles. Native addons cannot be bundled; the ones dockerode pulls in are optional
 * and loaded inside try/catch (ssh2's crypto binding and cpu-features, only used for ssh://
 * DOCKER_HOSTs), so a missing file at run time just turns those paths off.
 */
export const BUNDLE_EXTERNALS = ['*.node', 'cpu-features'];

/** The esbuild options for one entry; pure, so tests can check them. */
export function bundleBuildOptions(root: string, entry: BundleEntry): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: [entry.entry],
    outfile: `${entry.name}.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: { js: ESM_CJS_BANNER },
    external: BUNDLE_EXTERNALS,
    metafile: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  };
}

/** Project files (not node_modules) in an esbuild metafile, root-relative and sorted. */
export function localInputs(metafile: Metafile, root: string): string[] {
  return Object.keys(metafile.inputs)
    .filter((p) => !p.split('/').includes('node_modules') && !p.includes(':'))
    .map((p) => relative(root, resolve(root, p)))
    .sort();
}

/**
 * Bundles each entry into one self-contained ESM file (dependencies included, node built-ins
 * not). Returns the bytes; writes them too when `outDir` is given.
 */
export async function bundle(opts: BundleOptions): Promise<BundleOutput[]> {
  const out: BundleOutput[] = [];
  for (const entry of opts.entries) {
    const options = bundleBuildOptions(opts.root, entry);
    let result;
    try {
      result = await build(options);
    } catch (err) {
      const detail = (err as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors
        ?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text))
        .join('; ');
      throw new ImageError(IMAGE_ERROR_CODES.bundle, `cannot bundle ${entry.entry}: ${detail ?? String(err)}`, { cause: err });
    }
    const file = result.outputFiles?.find((f) => f.path.endsWith('.mjs'));
    if (!file) throw new ImageError(IMAGE_ERROR_CODES.bundle, `esbuild produced no output for ${entry.entry}`);
    const bundled: BundleOutput = {
      name: entry.name,
      file: `${entry.name}.mjs`,
      contents: file.contents,
      inputs: localInputs(result.metafile!, opts.root),
    };
    if (opts.outDir) {
      const path = resolve(opts.root, opts.outDir, entry.name, bundled.file);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.contents);
      bundled.path = path;
    }
    out.push(bundled);
  }
  return out;
}

/**
 * The project files an entry imports, found without bundling dependencies (fast: only our own
 * TypeScript is parsed). The image hash covers exactly these, so a file the entry does not import
 * does not cause a rebuild and one it does import always does.
 */
export async function sourceInputs(root: string, entry: string): Promise<string[]> {
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      write: false,
      logLevel: 'silent',
      outdir: 'out',
    });
    return localInputs(result.metafile, root);
  } catch (err) {
    const first = (err as { errors?: { text: string }[] }).errors?.[0]?.text;
    throw new ImageError(IMAGE_ERROR_CODES.bundle, `cannot read the imports of ${entry}: ${first ?? String(err)}`, { cause: err });
  }
}
