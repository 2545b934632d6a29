import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { build, transform, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
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

/** A file of a bundle that its entry file imports when first needed (a dynamic `import()`). */
export interface BundleChunk {
  /** File name next to the entry file: `chunk-<hash>.mjs`. */
  file: string;
  contents: Uint8Array;
}

/** One finished bundle. */
export interface BundleOutput {
  name: string;
  /** File name inside the image: `<name>.mjs`. */
  file: string;
  contents: Uint8Array;
  /**
   * The code the entry loads with a dynamic `import()` (undici for the agent), in files of its
   * own: V8 keeps the whole source text of every file a process loads, and a process that never
   * needs this code then never reads it.
   */
  chunks: BundleChunk[];
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
 * External to bundles. Native addons cannot be bundled; the ones in the tree are optional parts of
 * ssh2 (its crypto binding, cpu-features), which is left out anyway (see LEFT_OUT_PACKAGES).
 */
export const BUNDLE_EXTERNALS = ['*.node', 'cpu-features'];

/**
 * Packages that bundles leave out. dockerode brings them for paths no bundle takes: ssh2 for
 * `ssh://` engines (docker-modem), gRPC for the BuildKit sessions of `buildImage`, and protobufjs
 * for its BuildKit progress (which reads `.proto` files a bundle does not carry anyway). The control
 * server reaches the engine through its socket, and images are built by the CLI, which is not
 * bundled. In their place goes a module whose every export throws an error naming the package.
 */
export const LEFT_OUT_PACKAGES = ['ssh2', '@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs'];

const LEFT_OUT_NAMESPACE = 'dockmesh-left-out';

/** The module that stands in for a left-out package (`name`, as imported). */
function leftOutModule(name: string): string {
  return [
    `const message = ${JSON.stringify(`${name} is left out of dockmesh's bundles (dockerode needs it only for ssh:// engines and BuildKit; see docs/images.md)`)};`,
    'function leftOut() { throw new Error(message); }',
    "module.exports = new Proxy({}, { get: (_, key) => (typeof key === 'string' && key !== '__esModule' && key !== 'then' ? leftOut : undefined) });",
  ].join('\n');
}

function leaveOut(names: readonly string[]): Plugin {
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const filter = new RegExp(`^(${escaped.join('|')})(/.*)?$`);
  return {
    name: 'dockmesh-leave-out',
    setup(b) {
      b.onResolve({ filter }, (a) => ({ path: a.path, namespace: LEFT_OUT_NAMESPACE }));
      b.onLoad({ filter: /.*/, namespace: LEFT_OUT_NAMESPACE }, (a) => ({ contents: leftOutModule(a.path), loader: 'js' }));
    },
  };
}

/** The esbuild options for one entry; pure, so tests can check them. */
export function bundleBuildOptions(root: string, entry: BundleEntry): BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: { [entry.name]: entry.entry },
    outdir: '.',
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: { js: ESM_CJS_BANNER },
    external: BUNDLE_EXTERNALS,
    plugins: [leaveOut(LEFT_OUT_PACKAGES)],
    metafile: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    // Strings, templates and identifiers come out escaped; comments esbuild keeps and regular
    // expression literals do not (see oneByteComments).
    charset: 'ascii',
  };
}

/**
 * `code` with every character beyond ASCII in its comment lines written as `\uXXXX`. V8 keeps a
 * module's source text for lazy compilation, and stores it two bytes per character if a single
 * character is beyond Latin-1: one "→" in a JSDoc comment esbuild kept doubled the agent's 0.7 MB
 * source in the agent's memory (the control server's 5 MB likewise).
 *
 * Comment lines are found by how esbuild prints them (a line starting with `//`, `/*`, or inside a
 * block comment one opened), which a line of a multi-line template literal could imitate. So a
 * change is kept only if esbuild's minified form of the code, which drops comments, stays the same
 * (changes that do not are found by halving, and left out).
 */
export async function oneByteComments(code: string): Promise<string> {
  if (!NON_ASCII.test(code)) return code;
  const lines = code.split('\n');
  const candidates: number[] = [];
  let inBlock = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const t = line.trimStart();
    if ((inBlock || t.startsWith('//') || t.startsWith('/*')) && NON_ASCII.test(line)) candidates.push(i);
    if (inBlock || t.startsWith('/*')) inBlock = !line.includes('*/', inBlock ? 0 : line.indexOf('/*') + 2);
  }
  if (candidates.length === 0) return code;
  const minify = async (c: string) => (await transform(c, { minify: true, format: 'esm', target: 'node20', charset: 'ascii', legalComments: 'none' })).code;
  const reference = await minify(code);
  const apply = (which: readonly number[]) => {
    const out = lines.slice();
    for (const i of which) out[i] = out[i]!.replace(NON_ASCII_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return out.join('\n');
  };
  const keep = async (which: number[]): Promise<number[]> => {
    if (which.length === 0 || (await minify(apply(which))) === reference) return which;
    if (which.length === 1) return [];
    const half = which.length >> 1;
    return [...(await keep(which.slice(0, half))), ...(await keep(which.slice(half)))];
  };
  return apply(await keep(candidates));
}

const NON_ASCII = /[^\x00-\x7f]/;
/** A chunk's file name, as {@link bundleBuildOptions} names them. */
const CHUNK_FILE = /^chunk-[A-Z0-9]+\.mjs$/;
const NON_ASCII_ALL = /[^\x00-\x7f]/g;

/** Project files (not node_modules) in an esbuild metafile, root-relative and sorted. */
export function localInputs(metafile: Metafile, root: string): string[] {
  return Object.keys(metafile.inputs)
    .filter((p) => !p.split('/').includes('node_modules') && !p.includes(':'))
    .map((p) => relative(root, resolve(root, p)))
    .sort();
}

/** `224 KiB (+ 4 chunks, 510 KiB)`: a bundle's size for progress lines. */
export function bundleSize(b: Pick<BundleOutput, 'contents' | 'chunks'>): string {
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  if (b.chunks.length === 0) return kib(b.contents.byteLength);
  return `${kib(b.contents.byteLength)} (+ ${b.chunks.length} chunks, ${kib(b.chunks.reduce((a, c) => a + c.contents.byteLength, 0))})`;
}

/**
 * Bundles each entry into a self-contained ESM file (dependencies included, node built-ins not)
 * and the chunks it imports on first need. Returns the bytes; writes them too when `outDir` is
 * given, into `<outDir>/<name>/`, and removes the chunks an earlier bundle left there.
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
    const fileName = `${entry.name}.mjs`;
    const files = (result.outputFiles ?? []).filter((f) => f.path.endsWith('.mjs'));
    const file = files.find((f) => basename(f.path) === fileName);
    if (!file) throw new ImageError(IMAGE_ERROR_CODES.bundle, `esbuild produced no output for ${entry.entry}`);
    const chunks: BundleChunk[] = [];
    for (const f of files) if (f !== file) chunks.push({ file: basename(f.path), contents: Buffer.from(await oneByteComments(f.text)) });
    chunks.sort((a, b) => (a.file < b.file ? -1 : 1));
    const bundled: BundleOutput = {
      name: entry.name,
      file: fileName,
      contents: Buffer.from(await oneByteComments(file.text)),
      chunks,
      inputs: localInputs(result.metafile!, opts.root),
    };
    if (opts.outDir) {
      const dir = resolve(opts.root, opts.outDir, entry.name);
      await mkdir(dir, { recursive: true });
      for (const c of chunks) await writeFile(join(dir, c.file), c.contents);
      bundled.path = join(dir, bundled.file);
      await writeFile(bundled.path, bundled.contents);
      // Chunks of an earlier bundle go; nothing else in the directory is touched.
      const keep = new Set(chunks.map((c) => c.file));
      for (const f of await readdir(dir)) if (CHUNK_FILE.test(f) && !keep.has(f)) await rm(join(dir, f), { force: true });
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
