import type { AttributeValue, SpanRecord } from './span-record.ts';

/** What the encoded head of a span depends on: the parts that repeat span after span per upstream. */
export interface HeadKey {
  name: string;
  kind: number;
  protocol: string;
  cluster: string;
  upstream: string | undefined;
  /** Compared by identity: the tracer makes one array per identity. */
  common: readonly AttributeValue[];
}

/** Upstreams whose heads are kept at most (then the cache starts again). */
const LIMIT = 512;

/**
 * The encoded heads of the spans a writer has seen, one per upstream (or cluster), made by `make`
 * when a span's differs from the one kept. The span-writers (JSON and protobuf) look a span up
 * twice, for its bound and to write it: the second lookup is the first's answer.
 */
export class HeadCache<H extends HeadKey> {
  readonly #heads = new Map<string, H>();
  readonly #make: (sp: SpanRecord) => H;
  #lastSpan: SpanRecord | null = null;
  #lastHead: H | null = null;

  constructor(make: (sp: SpanRecord) => H) {
    this.#make = make;
  }

  of(sp: SpanRecord): H {
    if (sp === this.#lastSpan) return this.#lastHead!;
    const key = sp.upstream ?? sp.cluster;
    let h = this.#heads.get(key);
    if (h === undefined || h.name !== sp.name || h.kind !== sp.kind || h.protocol !== sp.protocol || h.cluster !== sp.cluster || h.upstream !== sp.upstream || h.common !== sp.common) {
      if (this.#heads.size >= LIMIT) this.#heads.clear();
      h = this.#make(sp);
      this.#heads.set(key, h);
    }
    this.#lastSpan = sp;
    this.#lastHead = h;
    return h;
  }
}

/** The key fields of `sp`, for a head's record. */
export const headKey = (sp: SpanRecord): HeadKey => ({ name: sp.name, kind: sp.kind, protocol: sp.protocol, cluster: sp.cluster, upstream: sp.upstream, common: sp.common });
