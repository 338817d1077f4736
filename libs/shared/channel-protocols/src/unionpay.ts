import { constants, createHash, privateDecrypt, publicEncrypt } from 'node:crypto';
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

/** ACP respCode / origRespCode values the platform acts on (ACP 5.1.0 answer code table). */
export const UNIONPAY_RESP = {
  SUCCESS: '00',
  FAILED: '01',
  /** 03 communication timeout, 04 state unknown, 05 accepted: in process, query again later. */
  IN_PROCESS: ['03', '04', '05'],
  SYSTEM_BUSY: '06',
  BAD_SIGNATURE: '11',
  DUPLICATE: '12',
  NOT_FOUND: '34',
  ORIGINAL_NOT_FOUND_OR_BAD_STATE: '35',
  INSUFFICIENT_FUNDS: '64',
} as const;

/** Whether a respCode / origRespCode means "not final yet: query again later". */
export function unionpayInProcess(code: string): boolean {
  return (UNIONPAY_RESP.IN_PROCESS as readonly string[]).includes(code);
}

/** ACP 5.1.0 messages: form fields both ways (requests URL-encoded; answers here URL-encoded too). */
export function encodeUnionpayForm(params: UnionpayParams): string {
  return new URLSearchParams(Object.entries(params)).toString();
}

export function decodeUnionpayForm(text: string): UnionpayParams {
  return Object.fromEntries(new URLSearchParams(text));
}

/** UnionPay's currency code for CNY (ISO 4217 numeric). */
export const UNIONPAY_CURRENCY_CNY = '156';

/**
 * Sensitive card fields go to UnionPay encrypted with its encryption certificate. ACP encrypts with
 * RSA PKCS#1 v1.5; Node 20 refuses v1.5 decryption (the Marvin attack), so here both sides use
 * RSA-OAEP with SHA-1 padding, a documented deviation that changes nothing else in the flow.
 */
export function encryptUnionpayField(plain: string, platformPublicKeyPem: string): string {
  return publicEncrypt({ key: platformPublicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from(plain, 'utf8')).toString('base64');
}

export function decryptUnionpayField(cipher: string, platformPrivateKeyPem: string): string | undefined {
  try {
    return privateDecrypt({ key: platformPrivateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from(cipher, 'base64')).toString('utf8');
  } catch {
    return undefined;
  }
}
