/**
 * A large, valid meshfile for benchmarks and tests (bench/ measures "compile time for a 500-route
 * meshfile" with it): `services` VirtualServices + DestinationRules, `routes` HTTP routes spread
 * over them, each with a header or prefix match, a 90/10 split, a timeout and retries.
 */

export interface SyntheticMeshfileOptions {
  routes: number;
  services: number;
}

/** The meshfile text; services are named `svc-0` … `svc-<services-1>`, subsets v1 and v2. */
export function syntheticMeshfile({ routes, services }: SyntheticMeshfileOptions): string {
  const docs: string[] = [];
  const perService = Math.ceil(routes / services);
  let left = routes;
  for (let s = 0; s < services && left > 0; s++) {
    const name = `svc-${s}`;
    const n = Math.min(perService, left);
    left -= n;
    const http: string[] = [];
    for (let i = 0; i < n; i++) {
      const match = i % 2 === 0 ? `    - headers:\n        x-route:\n          exact: "r${i}"` : `    - uri:\n        prefix: /r${i}/`;
      http.push(
        `  - name: r${i}\n    match:\n${match}\n    route:\n    - destination: {host: ${name}, subset: v1}\n      weight: 90\n` +
          `    - destination: {host: ${name}, subset: v2}\n      weight: 10\n    timeout: 2s\n    retries: {attempts: 2, perTryTimeout: 500ms, retryOn: "5xx,connect-failure"}`,
      );
    }
    docs.push(`apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: ${name}\nspec:\n  hosts: [${name}]\n  http:\n${http.join('\n')}`);
    docs.push(
      `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: ${name}\nspec:\n  host: ${name}\n  trafficPolicy:\n` +
        `    outlierDetection: {consecutive5xxErrors: 5, interval: 10s}\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}`,
    );
  }
  return `${docs.join('\n---\n')}\n`;
}
