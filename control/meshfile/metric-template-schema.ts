/**
 * JSON Schema of the `spec` of a Flagger MetricTemplate (flagger.app/v1beta1), written after
 * Flagger's CRD (no copy of it is in ../shared/istio-crds): a provider and a query that a Canary's
 * metric refers to with `templateRef`. The generator puts it in schema/meshfile.schema.json.
 */
export const METRIC_TEMPLATE_SPEC_SCHEMA = {
  type: 'object',
  description: 'A Flagger MetricTemplate: a metrics provider and a query returning one number, checked against a Canary metric\'s thresholdRange.',
  required: ['provider', 'query'],
  properties: {
    provider: {
      type: 'object',
      description: 'Where the query runs.',
      required: ['type'],
      properties: {
        type: {
          type: 'string',
          description: 'The provider: dockmesh runs `prometheus` queries (Flagger\'s other providers, e.g. datadog or cloudwatch, are rejected).',
        },
        address: {
          type: 'string',
          format: 'uri',
          pattern: '^[hH][tT][tT][pP][sS]?://',
          description:
            'The Prometheus API URL, resolved from the control server (on the project\'s networks). Default: the project\'s bundled ' +
            'Prometheus of `mesh up --observability`, http://<project>-mesh-prometheus:9090 (Flagger: its --metrics-server).',
        },
        secretRef: {
          type: 'object',
          description: 'A Kubernetes Secret with basic-auth credentials.',
          required: ['name'],
          properties: { name: { type: 'string' } },
          additionalProperties: false,
          'x-dockmesh-unsupported': 'no Kubernetes secrets: put credentials in the address (http://user:password@host:9090)',
        },
        insecureSkipVerify: { type: 'boolean', description: 'Skips certificate verification of an https address.' },
        region: { type: 'string', description: 'AWS region (CloudWatch).', 'x-dockmesh-unsupported': 'CloudWatch is not a dockmesh provider' },
      },
      additionalProperties: false,
    },
    query: {
      type: 'string',
      minLength: 1,
      description:
        'The query, a Go-template as Flagger renders it: {{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ ingress }}, ' +
        '{{ interval }} and {{ variables.<key> }} (the metric\'s templateVariables).',
    },
  },
  additionalProperties: false,
};
