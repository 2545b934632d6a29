/** Reads an agent's Prometheus metrics over its admin port and sums a series. */

/** Sums every sample of `name` whose labels include all of `match`. */
export function sumMetric(text: string, name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const labels = /\{(.*)\}/.exec(line)?.[1] ?? '';
    if (!Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export async function fetchMetrics(address: string, port = 15020): Promise<string> {
  const r = await fetch(`http://${address}:${port}/metrics`, { signal: AbortSignal.timeout(3000) });
  return r.text();
}
