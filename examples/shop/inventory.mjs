// inventory: says what an order holds and whether it is in stock. Echoes the trace headers it
// received (`trace`).
import { hostname } from 'node:os';
import { serve, traceHeaders } from './http-service.mjs';

const ITEMS = ['teapot', 'kettle', 'mug', 'saucer', 'spoon'];

serve('inventory', {
  'GET /inventory/:id': (req, _res, { id }) => {
    const n = [...id].reduce((sum, c) => sum + c.charCodeAt(0), 0);
    const items = [ITEMS[n % ITEMS.length], ITEMS[(n + 2) % ITEMS.length]];
    return { status: 200, body: { service: 'inventory', host: hostname(), order: id, items, in_stock: n % 7 !== 0, trace: traceHeaders(req) } };
  },
});
