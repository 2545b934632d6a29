// web: the shop's front end. GET /api/orders/:id asks api and returns everything it learned.
import { hostname } from 'node:os';
import { getJson, serve } from './http-service.mjs';

const API_URL = process.env.API_URL ?? 'http://api:8080';

serve('web', {
  'GET /': () => ({ status: 200, body: { service: 'web', try: ['/api/orders/42', '/healthz'] } }),
  'GET /api/orders/:id': async (req, _res, { id }) => {
    try {
      const api = await getJson(`${API_URL}/api/orders/${encodeURIComponent(id)}`, req);
      const ok = api.status >= 200 && api.status < 300;
      return {
        status: ok ? 200 : 502,
        body: { order: id, web: hostname(), request_id: req.headers['x-request-id'], api: api.body, ...(ok ? {} : { upstream_status: api.status }) },
      };
    } catch (err) {
      return { status: 502, body: { order: id, web: hostname(), error: `api: ${err.message}` } };
    }
  },
});
