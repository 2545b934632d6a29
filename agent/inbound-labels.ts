import { istioLabels, UNKNOWN, UNKNOWN_PEER, type LabelBase, type PeerIdentity } from './istio-labels.ts';
import type { SourceHeaders } from './forward-headers.ts';
import type { VerifiedPeer } from './mtls/verified-peer.ts';
import type { RouteTable } from './route-table.ts';
import { spiffeIdOf } from './mtls/spiffe-id-of.ts';

const LIMIT = 5000;

/**
 * reporter=destination label sets, keyed by the peer's declared identity (and verified principal)
 * and cached per route table (the destination side comes from the table's `self`). Over mTLS,
 * `source_principal` is the peer's SPIFFE ID and `connection_security_policy` is `mutual_tls`.
 */
export class InboundLabels {
  #table: RouteTable | null | undefined;
  #cache = new Map<string, LabelBase>();

  /** The label set for a request (or TCP connection) from `source` arriving under `table`. */
  get(table: RouteTable | null, source: SourceHeaders, protocol: 'http' | 'tcp', peer?: VerifiedPeer): LabelBase {
    if (table !== this.#table || this.#cache.size > LIMIT) {
      this.#table = table;
      this.#cache.clear();
    }
    const key = `${protocol}|${source.workload}|${source.namespace}|${source.service}|${source.version}|${peer?.spiffeId}`;
    let base = this.#cache.get(key);
    if (!base) {
      const src: PeerIdentity = {
        workload: source.workload ?? UNKNOWN,
        namespace: source.namespace ?? peer?.namespace ?? UNKNOWN,
        app: source.service ?? peer?.service ?? UNKNOWN,
        version: source.version ?? UNKNOWN,
      };
      const self = table?.self ?? UNKNOWN_PEER;
      const service = table ? { name: table.self.app, namespace: table.self.namespace } : undefined;
      base = istioLabels('destination', src, self, service, protocol);
      if (peer) {
        base.labels.source_principal = peer.spiffeId;
        base.labels.connection_security_policy = 'mutual_tls';
        const ns = table?.self.namespace;
        if (ns && table) base.labels.destination_principal = spiffeIdOf(ns, table.self.app);
      }
      this.#cache.set(key, base);
    }
    return base;
  }
}
