/**
 * Host references as Istio reads them, mapped to dockmesh's logical services: `name`,
 * `name.<ns>` and `name.<ns>.svc.cluster.local` all name service `name` in namespace `<ns>`; a short
 * name is qualified by the document's namespace (not the service's), as Istio does. With a context,
 * compose aliases and container names (the service's `hosts`) resolve too.
 */

/** What the control server (or `mesh check` offline) knows about the project. */
export interface MeshfileContext {
  services: Array<{
    name: string;
    namespace: string;
    /** Every host that refers to the service (lower case): name, name.ns, FQDN, aliases, container names. */
    hosts: string[];
    /** The label sets of its containers, one per container. */
    labelSets: Array<Record<string, string>>;
    ports: number[];
  }>;
}

export interface ServiceRef {
  name: string;
  namespace: string;
}

/** Resolves a host written in a document of namespace `namespace`. */
export type HostLookup = (host: string, namespace: string) => ServiceRef | undefined;

const CLUSTER_SUFFIX = '.svc.cluster.local';
const DNS_NAME = /^[a-z0-9]([-a-z0-9_]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9_]*[a-z0-9])?)*$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Why a host cannot name a dockmesh service, or undefined when it can. */
export function hostProblem(host: string): string | undefined {
  if (host === '') return 'a host cannot be empty';
  if (host.includes('*')) return `wildcard host "${host}": dockmesh routes per service, write the service's name`;
  if (IPV4.test(host) || host.includes(':')) return `IP address "${host}": dockmesh routes per service, write the service's name`;
  if (host.includes('/')) return `"${host}" is not a host (namespace/host references are for gateways)`;
  if (!DNS_NAME.test(host.toLowerCase())) return `"${host}" is not a valid host name`;
  return undefined;
}

/** The service a host names by its form alone (no context). */
export function parseHost(host: string, namespace: string): ServiceRef {
  const h = host.toLowerCase();
  if (h.endsWith(CLUSTER_SUFFIX)) {
    const parts = h.slice(0, -CLUSTER_SUFFIX.length).split('.');
    if (parts.length === 2) return { name: parts[0]!, namespace: parts[1]! };
  }
  const parts = h.split('.');
  if (parts.length === 1) return { name: h, namespace };
  if (parts.length === 2) return { name: parts[0]!, namespace: parts[1]! };
  return { name: h, namespace };
}

/** `name.ns`: the key of a service. */
export function serviceKey(ref: ServiceRef): string {
  return `${ref.name}.${ref.namespace}`;
}

/**
 * A lookup over a context: the canonical form first (`name.ns`), then any host the context lists
 * for a service (aliases, container names). Without a context, the canonical form is the answer.
 */
export function hostLookup(ctx?: MeshfileContext): HostLookup {
  if (!ctx) return (host, namespace) => parseHost(host, namespace);
  const byKey = new Map<string, ServiceRef>();
  const byHost = new Map<string, ServiceRef>();
  for (const s of ctx.services) {
    const ref = { name: s.name, namespace: s.namespace };
    byKey.set(serviceKey(ref), ref);
    // The canonical names go through namespace qualification only (a short name in another
    // namespace's document means that namespace, as in Istio); other hosts are aliases.
    const canonical = new Set([s.name, `${s.name}.${s.namespace}`, `${s.name}.${s.namespace}${CLUSTER_SUFFIX}`]);
    for (const raw of s.hosts) {
      const h = raw.toLowerCase();
      if (!canonical.has(h) && !byHost.has(h)) byHost.set(h, ref);
    }
  }
  return (host, namespace) => byKey.get(serviceKey(parseHost(host, namespace))) ?? byHost.get(host.toLowerCase());
}
