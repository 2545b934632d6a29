/**
 * undici, loaded on first need: its Client loads node:http2 and its JavaScript is several MB of a
 * process's memory, while an agent whose upstreams all speak HTTP/1.1 (agent/h1/) never needs it.
 * Only HTTP/2 pools and `--upstream-client undici` load it (the control client speaks through
 * agent/h1/ too). Bundled, the dynamic import stays lazy (esbuild initialises a dynamically imported
 * module when it is first imported).
 */
import type * as Lean from './undici-lean.ts';

export type Undici = typeof Lean;

let loading: Promise<Undici> | undefined;
/** undici once loaded, for callers that must construct synchronously. */
export let undici: Undici | undefined;

/** Loads undici's Pool and request API (once). */
export function loadUndici(): Promise<Undici> {
  loading ??= import('./undici-lean.ts').then((m) => (undici = m));
  return loading;
}
