/**
 * Gives an idle agent's young generation back. V8 shrinks it only at a garbage collection that finds
 * the allocation rate low, and an idle agent allocates next to nothing, so no collection comes: after
 * a burst (the snapshot of a large mesh, a load test) it keeps its grown size, up to twice
 * `--max-semi-space-size`, for as long as it stays idle. Every `intervalMs`, when no request or
 * connection arrived since the last check and the young generation is above its idle size, one
 * scavenge (a few ms on the agent's small heap) lets V8 shrink it. Under traffic it does nothing: V8
 * would not shrink a young generation that is in use. Needs `--expose-gc` (the image's flags); without
 * it, it does nothing. docs/agent.md, "Memory".
 */
import { getHeapSpaceStatistics } from 'node:v8';

export const IDLE_TRIM_INTERVAL_MS = 10_000;
/** The young generation's size when V8 starts a process (and shrinks it back to): 1 MB. */
const IDLE_NEW_SPACE_BYTES = 1024 * 1024;

export interface IdleHeapTrimOptions {
  /** A number that grows with traffic (requests and connections accepted). */
  activity: () => number;
  intervalMs?: number;
  /** The young generation's committed size (default: V8's `new_space`). */
  newSpaceBytes?: () => number;
  /** Runs a scavenge (default: `--expose-gc`'s `gc({ type: 'minor' })`, when present). */
  scavenge?: (() => void) | undefined;
}

/** Whether to scavenge now (pure). */
export function shouldTrim(activityBefore: number, activityNow: number, newSpaceBytes: number): boolean {
  return activityNow === activityBefore && newSpaceBytes > IDLE_NEW_SPACE_BYTES;
}

/** V8's young generation's committed size, bytes. */
export function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

function exposedScavenge(): (() => void) | undefined {
  const gc = (globalThis as { gc?: (o?: { type: 'minor' | 'major' }) => void }).gc;
  return typeof gc === 'function' ? () => gc({ type: 'minor' }) : undefined;
}

export class IdleHeapTrim {
  readonly #timer: NodeJS.Timeout | undefined;
  /** Scavenges run so far. */
  trims = 0;

  constructor(o: IdleHeapTrimOptions) {
    const scavenge = 'scavenge' in o ? o.scavenge : exposedScavenge();
    if (!scavenge) return;
    const newSpace = o.newSpaceBytes ?? newSpaceBytes;
    let last = o.activity();
    this.#timer = setInterval(() => {
      const now = o.activity();
      if (shouldTrim(last, now, newSpace())) {
        scavenge();
        this.trims++;
      }
      last = now;
    }, o.intervalMs ?? IDLE_TRIM_INTERVAL_MS);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
