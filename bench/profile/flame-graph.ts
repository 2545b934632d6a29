/**
 * Renders a folded call tree ({@link foldProfile}) as a self-contained flame graph SVG: the root at
 * the bottom, a frame's width its share of all CPU time, hover for the name and share. Frames
 * narrower than `minWidthPx` are left out (their time still counts in their parent's width). Pure.
 */
import type { Frame, FrameKind } from './cpu-profile.ts';

export interface FlameGraphOptions {
  title: string;
  /** One line under the title: what ran, how long. */
  subtitle: string;
  widthPx?: number;
  minWidthPx?: number;
}

const ROW = 17;
const TOP = 52;
const COLORS: Record<FrameKind, [number, number, number]> = {
  bundle: [230, 140, 40], // the agent's own modules
  package: [225, 200, 60], // packages bundled into the agent (undici, ...)
  node: [90, 150, 220], // Node's own JavaScript (node:...)
  native: [215, 75, 65], // native: syscalls, GC, V8 builtins
  wasm: [150, 110, 200], // WebAssembly (undici's llhttp)
};

export function renderFlameGraph(root: Frame, o: FlameGraphOptions): string {
  const width = o.widthPx ?? 1200;
  const minWidth = o.minWidthPx ?? 0.5;
  const scale = root.totalUs > 0 ? (width - 20) / root.totalUs : 0;
  const rects: string[] = [];
  let maxDepth = 0;
  const place = (f: Frame, x: number, depth: number): void => {
    const w = f.totalUs * scale;
    if (w < minWidth) return;
    maxDepth = Math.max(maxDepth, depth);
    rects.push(frameRect(f, x, depth, w, root.totalUs));
    let cx = x;
    for (const c of f.children) {
      place(c, cx, depth + 1);
      cx += c.totalUs * scale;
    }
  };
  place(root, 10, 0);
  const height = TOP + (maxDepth + 1) * ROW + 30;
  // Rows are laid out from the bottom: depth 0 (the root) is the last row.
  const body = rects.map((r) => r.replace(/__Y__(\d+)/g, (_, d: string) => String(height - 30 - (Number(d) + 1) * ROW))).join('\n');
  return [
    `<?xml version="1.0" standalone="no"?>`,
    `<svg version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg" font-family="Verdana, sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#f8f8f8"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${esc(o.title)}</text>`,
    `<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">${esc(o.subtitle)}</text>`,
    body,
    `<text x="10" y="${height - 10}" fill="#555">orange: agent code · yellow: bundled packages · blue: Node's JavaScript · red: native (syscalls, GC, V8) · purple: WebAssembly (llhttp). Hover a frame for its share.</text>`,
    `</svg>`,
    '',
  ].join('\n');
}

function frameRect(f: Frame, x: number, depth: number, w: number, allUs: number): string {
  const share = allUs > 0 ? (f.totalUs / allUs) * 100 : 0;
  const selfShare = allUs > 0 ? (f.selfUs / allUs) * 100 : 0;
  const [r, g, b] = shade(COLORS[f.kind], f.name);
  const label = w > 30 ? fit(f.name, w) : '';
  return (
    `<g><title>${esc(f.name)}: ${share.toFixed(2)}% (self ${selfShare.toFixed(2)}%)</title>` +
    `<rect x="${x.toFixed(1)}" y="__Y__${depth}" width="${Math.max(0, w - 0.5).toFixed(1)}" height="${ROW - 1}" fill="rgb(${r},${g},${b})" rx="2"/>` +
    (label ? `<text x="${(x + 3).toFixed(1)}" y="__Y__${depth}" dy="12">${esc(label)}</text>` : '') +
    `</g>`
  );
}

/** A stable small variation of the kind's colour per name, so neighbours are told apart. */
function shade([r, g, b]: [number, number, number], name: string): [number, number, number] {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  const d = (h % 40) - 20;
  const c = (v: number) => Math.max(0, Math.min(255, v + d));
  return [c(r), c(g), c(b)];
}

/** The name cut to what fits in `w` pixels at ~6.5 px per character. */
function fit(name: string, w: number): string {
  const chars = Math.floor((w - 6) / 6.5);
  if (chars >= name.length) return name;
  return chars > 2 ? `${name.slice(0, chars - 2)}..` : '';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
