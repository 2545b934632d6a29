/**
 * JSON Schema of the `spec` of Istio's Telemetry (telemetry.istio.io/v1, v1alpha1), written after
 * Istio's API reference (no copy of its CRD is in ../shared/istio-crds). The generator runs it
 * through the same annotation as the CRDs, so field-support.ts marks what is parsed but not acted on.
 */
const MODE = {
  type: 'object',
  description: 'The traffic the entry applies to.',
  properties: {
    mode: {
      type: 'string',
      enum: ['CLIENT_AND_SERVER', 'CLIENT', 'SERVER'],
      description: 'CLIENT: outbound requests (client spans, client-side logs); SERVER: inbound; default CLIENT_AND_SERVER.',
    },
  },
};

const PROVIDERS = {
  type: 'array',
  description: 'Named providers of meshConfig.extensionProviders.',
  items: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } },
};

const TAG_SOURCE = (what: string) => ({
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, description: `The ${what} to read.` }, defaultValue: { type: 'string' } },
});

const TARGET_REF = {
  type: 'object',
  required: ['kind', 'name'],
  properties: { group: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' }, namespace: { type: 'string' } },
};

export const TELEMETRY_SPEC_SCHEMA = {
  type: 'object',
  description:
    'Istio Telemetry: how the agents trace and log, mesh-wide (root namespace istio-system, no selector), ' +
    'per namespace (no selector) or per workload (selector).',
  properties: {
    selector: {
      type: 'object',
      description: 'The workloads this applies to (their container labels); absent: the whole namespace.',
      properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 }, maxProperties: 4096 } },
    },
    targetRef: TARGET_REF,
    targetRefs: { type: 'array', items: TARGET_REF },
    tracing: {
      type: 'array',
      description: 'Tracing overrides, merged field by field over the levels above and the earlier entries.',
      items: {
        type: 'object',
        properties: {
          match: MODE,
          providers: PROVIDERS,
          randomSamplingPercentage: {
            type: 'number',
            minimum: 0,
            maximum: 100,
            description: 'Percentage of new traces sampled (a caller\'s decision is always honoured). Default: the Mesh document\'s tracing.samplingPercent (100).',
          },
          disableSpanReporting: { type: 'boolean', description: 'Report no spans (the trace context is still propagated).' },
          customTags: {
            type: 'object',
            description: 'Extra span attributes.',
            additionalProperties: {
              type: 'object',
              properties: {
                literal: { type: 'object', required: ['value'], properties: { value: { type: 'string', minLength: 1 } } },
                environment: TAG_SOURCE('environment variable'),
                header: TAG_SOURCE('request header'),
              },
              oneOf: [{ required: ['literal'] }, { required: ['environment'] }, { required: ['header'] }],
            },
          },
          useRequestIdForTraceSampling: { type: 'boolean' },
          enableIstioTags: { type: 'boolean', description: 'false: no istio.* span attributes. Default true.' },
          disableContextPropagation: { type: 'boolean', description: 'Istio 1.30: forward no trace context (not acted on by dockmesh).' },
        },
      },
    },
    accessLogging: {
      type: 'array',
      description: 'Access-log overrides, merged field by field over the levels above and the earlier entries.',
      items: {
        type: 'object',
        properties: {
          match: MODE,
          providers: PROVIDERS,
          disabled: { type: 'boolean', description: 'Write no access log lines for this traffic.' },
          filter: { type: 'object', required: ['expression'], properties: { expression: { type: 'string', minLength: 1 } } },
        },
      },
    },
    metrics: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          providers: PROVIDERS,
          overrides: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                match: {
                  type: 'object',
                  properties: {
                    metric: {
                      type: 'string',
                      enum: ['ALL_METRICS', 'REQUEST_COUNT', 'REQUEST_DURATION', 'REQUEST_SIZE', 'RESPONSE_SIZE', 'TCP_OPENED_CONNECTIONS', 'TCP_CLOSED_CONNECTIONS', 'TCP_SENT_BYTES', 'TCP_RECEIVED_BYTES', 'GRPC_REQUEST_MESSAGES', 'GRPC_RESPONSE_MESSAGES'],
                    },
                    customMetric: { type: 'string', minLength: 1 },
                    mode: MODE.properties.mode,
                  },
                },
                disabled: { type: 'boolean' },
                tagOverrides: {
                  type: 'object',
                  additionalProperties: { type: 'object', properties: { operation: { type: 'string', enum: ['UPSERT', 'REMOVE'] }, value: { type: 'string' } } },
                },
              },
            },
          },
          reportingInterval: {
            type: 'string',
            description: 'How often the agents add the bytes of open TCP connections to istio_tcp_sent_bytes_total and istio_tcp_received_bytes_total (Istio: TCP metrics only). Default 5s.',
          },
        },
      },
    },
  },
};
