import { connect, type Socket } from 'node:net';
import { pipeline } from 'node:stream';
import type { LabelBase } from './istio-labels.ts';
import { listenerService, type ListenerBinding, type ProxyContext } from './proxy-context.ts';
import type { EndpointRoute, PortRoute } from './route-table.ts';

const noop = () => {};

/**
 * The opaque TCP data path: connects to the chosen endpoint (inbound: the app port; outbound: round
 * robin over the listener's service port, one retry elsewhere on connect failure) and pipes both ways,
 * counting bytes for the istio_tcp_* metrics.
 */
export class TcpProxy {
  readonly #ctx: ProxyContext;

  constructor(ctx: ProxyContext) {
    this.#ctx = ctx;
  }

  /** Takes over `socket`; `head` holds the bytes already read from it while sniffing. */
  handle(socket: Socket, head: Buffer, binding: ListenerBinding): void {
    const ctx = this.#ctx;
    const table = ctx.tables.current;
    if (head.length > 0) socket.unshift(head);
    if (binding.direction === 'inbound') {
      const labels = ctx.inboundLabels.get(table, {}, 'tcp');
      this.#connect(socket, ctx.appHost, binding.port, labels, undefined, undefined, 1);
      return;
    }
    const service = table ? listenerService(table, binding) : undefined;
    const portRoute = service?.ports.get(binding.port);
    const endpoint = portRoute?.balancer.pick();
    if (!endpoint) {
      if (service) {
        ctx.metrics.tcpOpened(service.noEndpointTcp);
        ctx.metrics.tcpClosed(service.noEndpointTcp, 'UH', 0, 0);
      }
      socket.destroy();
      return;
    }
    this.#connect(socket, endpoint.dialHost, endpoint.dialPort, endpoint.tcp, endpoint, portRoute, 1);
  }

  #connect(
    socket: Socket, host: string, port: number, labels: LabelBase,
    endpoint: EndpointRoute | undefined, portRoute: PortRoute | undefined, attempt: number,
  ): void {
    const metrics = this.#ctx.metrics;
    const upstream = connect({ host, port, noDelay: true });
    let connected = false;
    const onEarlyError = () => {
      upstream.destroy();
      const other = endpoint && portRoute && attempt < 2 && !connected ? portRoute.balancer.pickOther(endpoint) : undefined;
      if (other && !socket.destroyed) {
        this.#connect(socket, other.dialHost, other.dialPort, other.tcp, other, portRoute, attempt + 1);
        return;
      }
      metrics.tcpOpened(labels);
      metrics.tcpClosed(labels, 'UF', 0, 0);
      socket.destroy();
    };
    upstream.once('error', onEarlyError);
    upstream.once('connect', () => {
      connected = true;
      upstream.off('error', onEarlyError);
      metrics.tcpOpened(labels);
      let open = 2;
      const done = () => {
        if (--open > 0) return;
        metrics.tcpClosed(labels, '-', socket.bytesWritten, socket.bytesRead);
      };
      pipeline(socket, upstream, () => done());
      pipeline(upstream, socket, () => done());
    });
    socket.once('close', () => {
      if (!connected) upstream.destroy();
    });
    socket.on('error', noop);
  }
}
