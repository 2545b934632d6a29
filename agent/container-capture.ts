import type { CaptureLink } from './capture-link.ts';
import type { CaptureRules } from './iptables-rules.ts';
import type { MeshListener } from './mesh-listener.ts';
import type { AppListener } from './proc-net-tcp.ts';
import { inboundPortAllocator, outboundPortAllocator } from './port-allocator.ts';
import type { ListenerBinding } from './proxy-context.ts';
import type { RouteTable } from './route-table.ts';

/** Opens a listener for a binding on `host:port`. */
export type OpenListener = (host: string, port: number, binding: ListenerBinding) => Promise<MeshListener>;

/** Desired rules from app ports and the table in force (pure). */
export function captureRules(
  appPorts: number[],
  inbound: Map<number, number>,
  table: RouteTable | null,
  outbound: (serviceKey: string, port: number) => number | undefined,
): CaptureRules {
  const excluded = table?.excludedPorts ?? new Set<number>();
  const rules: CaptureRules = { inbound: [], outbound: [] };
  for (const p of appPorts) {
    const to = inbound.get(p);
    if (to !== undefined && !excluded.has(p)) rules.inbound.push({ port: p, to });
  }
  const seen = new Set<string>();
  for (const t of table?.capture ?? []) {
    const key = `${t.address}:${t.port}`;
    const to = outbound(t.serviceKey, t.port);
    if (seen.has(key) || to === undefined) continue;
    seen.add(key);
    rules.outbound.push({ address: t.address, port: t.port, to });
  }
  return rules;
}

/**
 * Container mode: keeps one inbound listener per app port and one outbound listener per captured
 * (service, port), with stable port allocation, and asks the capture manager to install matching rules.
 * Listeners open before the rules that point at them.
 */
export class ContainerCapture {
  readonly #link: CaptureLink;
  readonly #open: OpenListener;
  readonly #inAlloc = inboundPortAllocator();
  readonly #outAlloc = outboundPortAllocator();
  readonly #inbound = new Map<number, number>();
  /** The inbound listeners' bindings by app port (their app address follows the app's). */
  readonly #inboundBindings = new Map<number, ListenerBinding>();
  readonly #outbound = new Map<string, number>();
  appPorts: number[] = [];
  #table: RouteTable | null = null;

  constructor(link: CaptureLink, open: OpenListener) {
    this.#link = link;
    this.#open = open;
  }

  /** True once the manager has applied a rule set. */
  get installed(): boolean {
    return this.#link.installed;
  }

  get lastError(): string | undefined {
    return this.#link.lastError;
  }

  /**
   * The app now listens on these ports: opens listeners for new ones, points each at the address
   * its port is bound to, and updates the rules.
   */
  async setAppPorts(listeners: AppListener[]): Promise<void> {
    this.appPorts = listeners.map((l) => l.port);
    for (const { port: p, host } of listeners) {
      const bound = this.#inboundBindings.get(p);
      if (bound) {
        // Assigned, never deleted: the binding keeps its shape on the data path.
        bound.appHost = host;
        continue;
      }
      const binding: ListenerBinding = { direction: 'inbound', port: p, appHost: host };
      const listen = this.#inAlloc.allocate(String(p));
      await this.#open('0.0.0.0', listen, binding);
      this.#inbound.set(p, listen);
      this.#inboundBindings.set(p, binding);
    }
    await this.#push();
  }

  /** A new table is in force: opens outbound listeners it needs and updates the rules. */
  async setTable(table: RouteTable): Promise<void> {
    this.#table = table;
    for (const t of table.capture) {
      const key = `${t.serviceKey}:${t.port}`;
      if (this.#outbound.has(key)) continue;
      const listen = this.#outAlloc.allocate(key);
      await this.#open('127.0.0.1', listen, { direction: 'outbound', port: t.port, serviceKey: t.serviceKey });
      this.#outbound.set(key, listen);
    }
    await this.#push();
  }

  /** Listener ports by app port and by `service:port`, for the listening line. */
  ports(): { inbound: Record<string, number>; outbound: Record<string, number> } {
    return { inbound: Object.fromEntries(this.#inbound), outbound: Object.fromEntries(this.#outbound) };
  }

  #push(): Promise<void> {
    const rules = captureRules(this.appPorts, this.#inbound, this.#table, (s, p) => this.#outbound.get(`${s}:${p}`));
    return this.#link.apply(rules);
  }
}
