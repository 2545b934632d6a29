/**
 * The JWT of the `agent-pair-jwt` target: an RS256 key made per run (RS256 is what most identity
 * providers sign with), its JWKS for the server agent's RequestAuthentication, and one token valid
 * for a day that every request of the load sends.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { JwtRuleSnapshot } from '../../wire/types.ts';

export const BENCH_ISSUER = 'https://issuer.bench.dockmesh';

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export function benchJwt(): { rule: JwtRuleSnapshot; header: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256' }] });
  const now = Math.floor(Date.now() / 1000);
  const data = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'bench' })}.${b64({ iss: BENCH_ISSUER, sub: 'bench-client', aud: 'up', iat: now, exp: now + 86_400 })}`;
  const token = `${data}.${sign('sha256', Buffer.from(data), privateKey).toString('base64url')}`;
  return { rule: { issuer: BENCH_ISSUER, jwks, audiences: ['up'], source: 'default/bench' }, header: `Authorization: Bearer ${token}` };
}
