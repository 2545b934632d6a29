/**
 * Direct: the load generator talks to the upstream itself. The baseline every ratio divides by.
 */
import type { TargetDef } from './target.ts';

export const directTarget: TargetDef = {
  id: 'direct',
  title: 'direct',
  description: 'client → upstream, no proxy (baseline)',
  async start(ctx) {
    return { port: ctx.upstreamPort, host: 'up', meters: [], commands: [], alive: () => true, close: async () => {} };
  },
};
