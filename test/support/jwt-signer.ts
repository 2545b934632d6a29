/** A tiny JWS signer and key sets: the tests' stand-in for an identity provider. */
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Signs `payload` with `alg` (RS*, PS*, ES*, EdDSA) and `key`; `header` adds fields (kid). */
export function signJwt(alg: string, key: KeyObject, payload: object, header: object = {}): string {
  const data = `${b64({ alg, typ: 'JWT', ...header })}.${b64(payload)}`;
  const hash = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
  const signer = alg.startsWith('PS')
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return `${data}.${sign(hash, Buffer.from(data), signer).toString('base64url')}`;
}

/** An ES256 issuer: its JWKS text and a signer of its tokens. */
export function es256Issuer(issuer: string, kid = 'k1'): { jwks: string; token: (claims: object) => string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] });
  return { jwks, token: (claims) => signJwt('ES256', privateKey, { iss: issuer, ...claims }, { kid }) };
}
