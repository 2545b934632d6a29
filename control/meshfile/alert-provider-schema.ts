/**
 * JSON Schema of the `spec` of a Flagger AlertProvider (flagger.app/v1beta1), written after
 * Flagger's CRD (no copy of it is in ../shared/istio-crds): where a Canary's `analysis.alerts`
 * send their messages. The generator puts it in schema/meshfile.schema.json.
 */
export const ALERT_PROVIDER_TYPES = ['slack', 'msteams', 'discord', 'rocket', 'gchat'] as const;

export const ALERT_PROVIDER_SPEC_SCHEMA = {
  type: 'object',
  description: 'A Flagger AlertProvider: a chat service\'s incoming webhook that canary alerts are posted to.',
  oneOf: [{ required: ['type', 'address'] }, { required: ['type', 'secretRef'] }],
  properties: {
    type: {
      type: 'string',
      enum: [...ALERT_PROVIDER_TYPES],
      description: 'The message format: slack, msteams, discord (Slack format at <address>/slack), rocket or gchat.',
    },
    channel: { type: 'string', description: 'The channel (Slack, Discord, Rocket.Chat); default general.' },
    username: { type: 'string', description: 'The bot user name (Slack, Discord, Rocket.Chat); default flagger.' },
    address: {
      type: 'string',
      format: 'uri',
      pattern: '^[hH][tT][tT][pP][sS]?://',
      description: 'The incoming-webhook URL, posted to from the control server (on the project\'s networks).',
    },
    proxy: { type: 'string', format: 'uri', pattern: '^[hH][tT][tT][pP][sS]?://', description: 'An HTTP(S) proxy to post through.' },
    secretRef: {
      type: 'object',
      description: 'A Kubernetes Secret holding the address (key `address`).',
      required: ['name'],
      properties: { name: { type: 'string' } },
      additionalProperties: false,
      'x-dockmesh-unsupported': 'no Kubernetes secrets: put the webhook URL in spec.address (this provider sends nothing)',
    },
  },
  additionalProperties: false,
};
