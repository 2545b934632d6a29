/**
 * JSON Schema of the `spec` of dockmesh's own kind, `Mesh` (apiVersion `dockmesh.dev/v1`): mesh-wide
 * settings. The generator puts it in schema/meshfile.schema.json next to the Istio and Flagger kinds.
 */
import { DURATION_PATTERN } from './duration.ts';

const duration = (description: string) => ({
  type: 'string',
  pattern: DURATION_PATTERN,
  'x-dockmesh-duration': true,
  'x-dockmesh-duration-min-ms': 1,
  description,
});

/** One local rate limit: a token bucket checked by the calling agent. */
const RATE_LIMIT = {
  type: 'object',
  description:
    'A local rate limit on calls to one service, enforced by each calling agent (a token bucket per ' +
    'calling agent). Give either requestsPerUnit and unit, or maxTokens, tokensPerFill and fillInterval.',
  required: ['service'],
  properties: {
    service: { type: 'string', description: 'The limited service: a host as in a VirtualService (`api`, `api.default`, `api.default.svc.cluster.local`).' },
    requestsPerUnit: { type: 'integer', minimum: 1, maximum: 4294967295, description: 'Requests allowed per unit (also the burst size).' },
    unit: { type: 'string', enum: ['SECOND', 'MINUTE', 'HOUR'], description: 'The unit of requestsPerUnit.' },
    maxTokens: { type: 'integer', minimum: 1, maximum: 4294967295, description: 'Bucket size: the largest burst.' },
    tokensPerFill: { type: 'integer', minimum: 1, maximum: 4294967295, description: 'Tokens added every fillInterval. Default: maxTokens.' },
    fillInterval: duration('How often tokensPerFill tokens are added, e.g. `1s`. At least 1ms.'),
  },
  additionalProperties: false,
  oneOf: [
    { required: ['requestsPerUnit', 'unit'], not: { anyOf: [{ required: ['maxTokens'] }, { required: ['tokensPerFill'] }, { required: ['fillInterval'] }] } },
    { required: ['maxTokens', 'fillInterval'], not: { anyOf: [{ required: ['requestsPerUnit'] }, { required: ['unit'] }] } },
  ],
};

/** `spec` of a `Mesh` document. */
export const MESH_SPEC_SCHEMA = {
  type: 'object',
  description: 'Mesh-wide settings of dockmesh (at most one Mesh document per meshfile).',
  properties: {
    defaultMtlsMode: {
      type: 'string',
      enum: ['PERMISSIVE', 'STRICT', 'DISABLE'],
      description:
        'Inbound mTLS mode of every workload that no PeerAuthentication selects. Default: PERMISSIVE. ' +
        'A PeerAuthentication in the root namespace with no selector takes precedence over it.',
    },
    excludedPorts: {
      type: 'array',
      description: 'TCP ports never captured by the agents, inbound or outbound.',
      items: { type: 'integer', minimum: 1, maximum: 65535 },
    },
    tracing: {
      type: 'object',
      description: 'Where and how much the agents trace.',
      properties: {
        endpoint: {
          type: 'string',
          format: 'uri',
          pattern: '^[hH][tT][tT][pP][sS]?://',
          description: 'OTLP/HTTP traces URL (http or https, the full path), e.g. `http://jaeger:4318/v1/traces`. Default: none (no spans are exported).',
        },
        samplingPercent: {
          type: 'number',
          minimum: 0,
          maximum: 100,
          description: 'Percentage of new traces the agents sample; a caller\'s sampling decision (traceparent flags, x-b3-sampled) is always honoured. Default: 100.',
        },
        protocol: {
          type: 'string',
          enum: ['http/protobuf', 'http/json'],
          description: 'The OTLP/HTTP encoding, as OpenTelemetry\'s OTEL_EXPORTER_OTLP_PROTOCOL names it: `http/protobuf` (binary protobuf, `application/x-protobuf`; every OTLP receiver takes it) or `http/json` (`application/json`). Default: `http/protobuf`.',
        },
      },
      additionalProperties: false,
    },
    rateLimits: {
      type: 'array',
      description: 'Local rate limits per service (Istio has none outside EnvoyFilter).',
      items: RATE_LIMIT,
    },
  },
  additionalProperties: false,
};
