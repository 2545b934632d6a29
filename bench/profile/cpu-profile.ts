/**
 * V8 CPU profiles (`node --cpu-prof`, the .cpuprofile JSON) folded into a call tree with self and
 * total time per frame. Pure: the input is the parsed JSON.
 */

/** The subset of the .cpuprofile format used here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** One frame of the folded tree: children merged by name, times in microseconds. */
export interface Frame {
  name: string;
  kind: FrameKind;
  selfUs: number;
  totalUs: number;
  children: Frame[];
}

/** Where a frame's code lives: the agent's own modules, its bundled packages, Node's own JS, native (syscalls, GC), WebAssembly. */
export type FrameKind = 'bundle' | 'package' | 'node' | 'native' | 'wasm';

/** V8 pseudo-frames that are not CPU work of the process: left out of the tree. */
const NOT_WORK = new Set(['(idle)']);

/** Which source module a line (0-based) of a bundled file came from; undefined when unknown. */
export type ModuleLocator = (url: string, line: number) => string | undefined;

/**
 * A locator for an esbuild bundle (not minified): esbuild starts every module's code with a
 * `// path/of/module.ts` comment line. Paths are shown from `node_modules/` or the project root.
 */
export function bundleLocator(bundleText: string): ModuleLocator {
  const starts: [number, string][] = [];
  const lines = bundleText.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ (\S+\.(?:ts|js|mjs|cjs|json))$/.exec(lines[i]!);
    if (m) starts.push([i, m[1]!.replace(/^(\.\.\/)+[^/]+\/(?=node_modules\/)/, '').replace(/^(\.\.\/)+/, '')]);
  }
  return (_url, line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found: string | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]![0] <= line) {
        found = starts[mid]![1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/**
 * A locator for a bundle of several files (an entry and its chunks, by file name): a frame is
 * looked up in the file its URL names.
 */
export function bundleFilesLocator(files: ReadonlyMap<string, string>): ModuleLocator {
  const byFile = new Map<string, ModuleLocator>();
  for (const [name, text] of files) byFile.set(name, bundleLocator(text));
  return (url, line) => byFile.get(url.slice(url.lastIndexOf('/') + 1))?.(url, line);
}

/**
 * A frame's display name: `function module` when `locate` knows the bundled module, else
 * `function file:line` (line 1-based), or V8's pseudo-name.
 */
export function frameName(cf: { functionName: string; url: string; lineNumber: number }, locate?: ModuleLocator): string {
  const fn = cf.functionName || '(anonymous)';
  if (!cf.url) return fn;
  const module = cf.url.startsWith('node:') ? undefined : locate?.(cf.url, cf.lineNumber);
  if (module) return `${fn} ${module}`;
  const file = cf.url.startsWith('node:') ? cf.url : cf.url.split('/').slice(-1)[0]!;
  return `${fn} ${file}:${cf.lineNumber + 1}`;
}

export function frameKind(cf: { url: string; functionName: string }, name = ''): FrameKind {
  if (cf.url.startsWith('node:')) return 'node';
  if (cf.url.startsWith('wasm') || cf.functionName.startsWith('wasm')) return 'wasm';
  if (!cf.url) return 'native';
  return name.includes('node_modules/') ? 'package' : 'bundle';
}

/** The folded call tree of `p` under a synthetic root whose total is all sampled CPU time (idle excluded). */
export function foldProfile(p: CpuProfile, locate?: ModuleLocator): Frame {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfById = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfById.set(p.samples[i]!, (selfById.get(p.samples[i]!) ?? 0) + Math.max(0, p.timeDeltas[i] ?? 0));
  const rootNode = p.nodes.find((n) => n.callFrame.functionName === '(root)') ?? p.nodes[0]!;
  const root: Frame = { name: 'all', kind: 'native', selfUs: 0, totalUs: 0, children: [] };
  const visit = (id: number, into: Frame): void => {
    const n = byId.get(id);
    if (!n) return;
    const name = frameName(n.callFrame, locate);
    if (NOT_WORK.has(name)) return;
    let f = into.children.find((c) => c.name === name);
    if (!f) into.children.push((f = { name, kind: frameKind(n.callFrame, name), selfUs: 0, totalUs: 0, children: [] }));
    f.selfUs += selfById.get(id) ?? 0;
    for (const c of n.children ?? []) visit(c, f);
  };
  root.selfUs += selfById.get(rootNode.id) ?? 0;
  for (const c of rootNode.children ?? []) visit(c, root);
  total(root);
  return root;
}

function total(f: Frame): number {
  f.totalUs = f.selfUs + f.children.reduce((a, c) => a + total(c), 0);
  f.children.sort((a, b) => b.totalUs - a.totalUs);
  return f.totalUs;
}

/** Self and inclusive time per frame name over the whole tree (a name counted once per stack), highest first. */
export function topFrames(root: Frame, limit: number): { self: [string, number][]; inclusive: [string, number][] } {
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const walk = (f: Frame, onStack: Set<string>): void => {
    self.set(f.name, (self.get(f.name) ?? 0) + f.selfUs);
    const fresh = !onStack.has(f.name);
    if (fresh) {
      incl.set(f.name, (incl.get(f.name) ?? 0) + f.totalUs);
      onStack.add(f.name);
    }
    for (const c of f.children) walk(c, onStack);
    if (fresh) onStack.delete(f.name);
  };
  for (const c of root.children) walk(c, new Set());
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, limit);
  return { self: top(self), inclusive: top(incl) };
}
