import { istioLabels, UNKNOWN, UNKNOWN_PEER, type LabelBase, type PeerIdentity } from './istio-labels.ts';
import type { SourceHeaders } from './forward-headers.ts';
import type { RouteTable } from './route-table.ts';

const LIMIT = 5000;

/**
 * reporter=destination label sets, keyed by the peer's declared identity and cached per route table
 * (the destination side comes from the table's `self`).
 */
export class InboundLabels {
  #table: RouteTable | null | undefined;
  #cache = new Map<string, LabelBase>();

  /** The label set for a request (or TCP connection) from `source` arriving under `table`. */
  get(table: RouteTable | null, source: SourceHeaders, protocol: 'http' | 'tcp'): LabelBase {
    if (table !== this.#table || this.#cache.size > LIMIT) {
      this.#table = table;
      this.#cache.clear();
    }
    const key = `${protocol}|${source.workload}|${source.namespace}|${source.service}|${source.version}`;
    let base = this.#cache.get(key);
    if (!base) {
      const src: PeerIdentity = {
        workload: source.workload ?? UNKNOWN,
        namespace: source.namespace ?? UNKNOWN,
        app: source.service ?? UNKNOWN,
        version: source.version ?? UNKNOWN,
      };
      const self = table?.self ?? UNKNOWN_PEER;
      const service = table ? { name: table.self.app, namespace: table.self.namespace } : undefined;
      base = istioLabels('destination', src, self, service, protocol);
      this.#cache.set(key, base);
    }
    return base;
  }
}
