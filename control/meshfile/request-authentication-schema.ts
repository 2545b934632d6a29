/**
 * JSON Schema of the `spec` of Istio's RequestAuthentication (security.istio.io/v1, v1beta1),
 * written after istio/api `security/v1/request_authentication.proto` and `jwt.proto` (no copy of
 * its CRD is in ../shared/istio-crds). The generator annotates it like the CRDs.
 */
const TARGET_REF = {
  type: 'object',
  required: ['kind', 'name'],
  properties: { group: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' }, namespace: { type: 'string' } },
};

const JWT_RULE = {
  type: 'object',
  required: ['issuer'],
  properties: {
    issuer: { type: 'string', minLength: 1, description: 'The `iss` a token must carry; a JWT with a different `iss` is rejected.' },
    audiences: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'A token must carry one of these in `aud`; empty: any audience.' },
    jwksUri: { type: 'string', description: 'URL of the JSON Web Key Set (http or https); the agents fetch it. Only one of jwksUri and jwks.' },
    jwks: { type: 'string', description: 'The JSON Web Key Set inline (JSON text). Only one of jwksUri and jwks.' },
    fromHeaders: {
      type: 'array',
      description: 'Headers to read the token from (default: Authorization with prefix "Bearer ", then the access_token query parameter).',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 }, prefix: { type: 'string' } } },
    },
    fromParams: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Query parameters to read the token from.' },
    fromCookies: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Cookies to read the token from.' },
    outputPayloadToHeader: { type: 'string', description: 'Header to forward the verified payload in (base64url of its JSON).' },
    forwardOriginalToken: { type: 'boolean', description: 'Keep the token in the forwarded request (default false: its header is removed).' },
    outputClaimToHeaders: {
      type: 'array',
      description: 'Claims (string, number or boolean; nested with ".") copied to headers of the forwarded request.',
      items: { type: 'object', properties: { header: { type: 'string', minLength: 1 }, claim: { type: 'string', minLength: 1 } } },
    },
    timeout: { type: 'string', description: 'How long a JWKS fetch may take (default 5s).' },
    failureMode: {
      type: 'string',
      enum: ['PERMISSIVE', 'IGNORE', 'STRICT'],
      description: 'PERMISSIVE (default): a missing token passes, an invalid one is refused; STRICT: a valid token is required; IGNORE: never refused.',
    },
  },
};

export const REQUEST_AUTHENTICATION_SPEC_SCHEMA = {
  type: 'object',
  description: 'Istio RequestAuthentication: the JWTs a workload accepts (in the root namespace istio-system: every workload; else its namespace; selector: some).',
  properties: {
    selector: { type: 'object', properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } } },
    targetRef: TARGET_REF,
    targetRefs: { type: 'array', items: TARGET_REF },
    jwtRules: { type: 'array', items: JWT_RULE },
  },
};
