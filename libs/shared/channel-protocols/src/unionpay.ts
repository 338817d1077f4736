import { createHash } from 'node:crypto';
import { rsaSha256Sign, rsaSha256Verify } from './alipay';

/** ACP 5.1.0 signMethod 01: RSA over the SHA-256 digest. */
export const UNIONPAY_SIGN_METHOD = '01';

export type UnionpayParams = Record<string, string>;

/** The text UnionPay signs: every field but `signature`, sorted by key, joined `k=v` with `&`. */
export function unionpaySignContent(params: UnionpayParams): string {
  return Object.keys(params)
    .filter((k) => k !== 'signature')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** signMethod 01: SHA-256 hex digest of the content, then RSA-SHA256 over that hex string, base64. */
export function signUnionpay(params: UnionpayParams, privateKeyPem: string, certId: string): UnionpayParams {
  const withMeta = { ...params, signMethod: UNIONPAY_SIGN_METHOD, certId };
  const digest = createHash('sha256').update(unionpaySignContent(withMeta), 'utf8').digest('hex');
  return { ...withMeta, signature: rsaSha256Sign(digest, privateKeyPem) };
}

export function verifyUnionpay(params: UnionpayParams, publicKeyPem: string): boolean {
  if (!params.signature || params.signMethod !== UNIONPAY_SIGN_METHOD) return false;
  const digest = createHash('sha256').update(unionpaySignContent(params), 'utf8').digest('hex');
  return rsaSha256Verify(digest, params.signature, publicKeyPem);
}
