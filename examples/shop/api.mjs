// api: the orders service, in two versions (env VERSION). GET /api/orders/:id calls payments and
// inventory in parallel. FAIL_RATE (0..1) and DELAY_MS make a version misbehave, for canaries.
import { hostname } from 'node:os';
import { getJson, serve } from './http-service.mjs';

const VERSION = process.env.VERSION ?? 'v1';
const PAYMENTS_URL = process.env.PAYMENTS_URL ?? 'http://payments:8080';
const INVENTORY_URL = process.env.INVENTORY_URL ?? 'http://inventory:8080';
const FAIL_RATE = Number(process.env.FAIL_RATE ?? 0);
const DELAY_MS = Number(process.env.DELAY_MS ?? 0);

serve(`api-${VERSION}`, {
  'GET /api/orders/:id': async (req, _res, { id }) => {
    if (DELAY_MS > 0) await new Promise((r) => setTimeout(r, DELAY_MS));
    if (FAIL_RATE > 0 && Math.random() < FAIL_RATE) return { status: 503, body: { error: 'injected failure', version: VERSION } };
    const order = encodeURIComponent(id);
    const [payment, inventory] = await Promise.allSettled([
      getJson(`${PAYMENTS_URL}/payments/${order}`, req),
      getJson(`${INVENTORY_URL}/inventory/${order}`, req),
    ]);
    const part = (r, name) =>
      r.status === 'rejected' ? { error: `${name}: ${r.reason.message}` } : r.value.status >= 400 ? { error: `${name}: HTTP ${r.value.status}`, ...r.value.body } : r.value.body;
    const ok = [payment, inventory].every((r) => r.status === 'fulfilled' && r.value.status < 400);
    return {
      status: ok ? 200 : 502,
      body: { id, version: VERSION, host: hostname(), payment: part(payment, 'payments'), inventory: part(inventory, 'inventory') },
    };
  },
});
