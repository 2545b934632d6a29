/**
 * Gives an idle agent's memory back. V8 shrinks its young generation only at a garbage collection
 * that finds the allocation rate low, and an idle agent allocates next to nothing, so no collection
 * comes: after a burst (the snapshot of a large mesh, a load test) it keeps its grown size, up to
 * twice `--max-semi-space-size`, and the old generation keeps what traffic promoted into it, for as
 * long as it stays idle. Every `intervalMs`, when no request or connection arrived since the last
 * check: the first such check after traffic (or after start) runs one full collection (both
 * generations, a few ms on the agent's small heap); later ones a scavenge when the young generation
 * grew above its idle size again (a snapshot applied while quiet). Under traffic it does nothing.
 * Needs `--expose-gc` (the image's flags); without it, it does nothing. docs/agent.md, "Memory".
 */
import { getHeapSpaceStatistics } from 'node:v8';

/** Quiet for a whole interval means idle: so the collection comes 5 to 10 s after the last request. */
export const IDLE_TRIM_INTERVAL_MS = 5_000;
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
  /** Runs a full collection (default: `--expose-gc`'s `gc({ type: 'major' })`, when present). */
  fullCollection?: (() => void) | undefined;
}

/**
 * What a check does (pure): nothing after traffic; at the first quiet check since traffic, a full
 * collection; at later quiet ones, a scavenge when the young generation is above its idle size.
 */
export function idleAction(activityBefore: number, activityNow: number, newSpaceBytes: number, collectedSinceActivity: boolean): 'full' | 'scavenge' | null {
  if (activityNow !== activityBefore) return null;
  if (!collectedSinceActivity) return 'full';
  return newSpaceBytes > IDLE_NEW_SPACE_BYTES ? 'scavenge' : null;
}

/** V8's young generation's committed size, bytes. */
export function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

function exposedGc(type: 'minor' | 'major'): (() => void) | undefined {
  const gc = (globalThis as { gc?: (o?: { type: 'minor' | 'major' }) => void }).gc;
  return typeof gc === 'function' ? () => gc({ type }) : undefined;
}

export class IdleHeapTrim {
  readonly #timer: NodeJS.Timeout | undefined;
  /** Scavenges run so far. */
  trims = 0;
  /** Full collections run so far. */
  fullCollections = 0;

  constructor(o: IdleHeapTrimOptions) {
    const scavenge = 'scavenge' in o ? o.scavenge : exposedGc('minor');
    const full = 'fullCollection' in o ? o.fullCollection : exposedGc('major');
    if (!scavenge || !full) return;
    const newSpace = o.newSpaceBytes ?? newSpaceBytes;
    let last = o.activity();
    let collected = false;
    this.#timer = setInterval(() => {
      const now = o.activity();
      if (now !== last) collected = false;
      switch (idleAction(last, now, newSpace(), collected)) {
        case 'full':
          full();
          collected = true;
          this.fullCollections++;
          break;
        case 'scavenge':
          scavenge();
          this.trims++;
          break;
      }
      last = now;
    }, o.intervalMs ?? IDLE_TRIM_INTERVAL_MS);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
