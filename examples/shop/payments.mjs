// payments: says an order is paid, with an amount derived from its id. Echoes the trace headers it
// received (`trace`), so tests can see that every hop forwarded them.
import { hostname } from 'node:os';
import { serve, traceHeaders } from './http-service.mjs';

serve('payments', {
  'GET /payments/:id': (req, _res, { id }) => {
    const cents = [...id].reduce((sum, c) => (sum * 31 + c.charCodeAt(0)) % 100_000, 7);
    return { status: 200, body: { service: 'payments', host: hostname(), order: id, status: 'paid', amount: cents / 100, currency: 'EUR', trace: traceHeaders(req) } };
  },
});
