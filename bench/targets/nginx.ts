/**
 * nginx as a reverse proxy in front of the upstream (reference target).
 */
import { join } from 'node:path';
import { nginxConfig } from './nginx-config.ts';
import { startReferenceProxy } from './reference-proxy.ts';
import type { TargetDef } from './target.ts';

export const nginxTarget: TargetDef = {
  id: 'nginx',
  title: 'nginx',
  description: 'nginx reverse proxy: 1 worker, upstream keepalive 64, access log off',
  start: (ctx) =>
    startReferenceProxy(
      {
        name: 'nginx',
        configFile: 'nginx.conf',
        config: (listenPort, upstreamPort, dir) => nginxConfig({ listenPort, upstreamPort, dir }),
        args: (conf, dir) => ['-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', conf],
      },
      ctx,
    ),
};
