/**
 * haproxy as a reverse proxy in front of the upstream (reference target).
 */
import { haproxyConfig } from './haproxy-config.ts';
import { startReferenceProxy } from './reference-proxy.ts';
import type { TargetDef } from './target.ts';

export const haproxyTarget: TargetDef = {
  id: 'haproxy',
  title: 'haproxy',
  description: 'haproxy reverse proxy: nbthread 1, mode http, keep-alive, http-reuse always',
  start: (ctx) =>
    startReferenceProxy(
      {
        name: 'haproxy',
        configFile: 'haproxy.cfg',
        config: (listenPort, upstreamPort) => haproxyConfig({ listenPort, upstreamPort }),
        args: (cfg) => ['-db', '-f', cfg],
      },
      ctx,
    ),
};
