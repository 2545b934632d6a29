/**
 * A Host header (or authority) reduced to the name used to look a service up (pure): lower case,
 * without port, without a trailing dot. IPv6 literals keep their brackets off: `[::1]:80` → `::1`.
 */
export function normalizeHost(host: string): string {
  let h = host.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end > 0 ? h.slice(1, end) : h.slice(1);
  } else {
    const colon = h.indexOf(':');
    if (colon >= 0 && h.indexOf(':', colon + 1) < 0) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
}

/** The explicit port of a Host header, or undefined when it has none (pure). */
export function hostPort(host: string): number | undefined {
  const h = host.trim();
  const close = h.lastIndexOf(']');
  const colon = h.lastIndexOf(':');
  if (colon < 0 || colon < close) return undefined;
  if (close < 0 && h.indexOf(':') !== colon) return undefined;
  const text = h.slice(colon + 1);
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 && n <= 65535 ? n : undefined;
}
