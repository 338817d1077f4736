import { createSign, createVerify } from 'node:crypto';

/** Alipay Open API v2 signs with RSA2: RSA-SHA256, base64. */
export const ALIPAY_SIGN_TYPE = 'RSA2';

export type AlipayParams = Record<string, string | number | undefined | null>;

/**
 * The text Alipay signs: parameters sorted by key (ASCII), empty values and `sign` left out (and
 * `sign_type` too for asynchronous notifications), joined as `k=v` with `&`, values not URL-encoded.
 */
export function alipaySignContent(params: AlipayParams, opts: { forNotification?: boolean } = {}): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && !(opts.forNotification && k === 'sign_type'))
    .filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** RSA-SHA256 over text with a PEM private key, base64 (Alipay RSA2, WeChat Pay v3 and UnionPay all use it). */
export function rsaSha256Sign(text: string, privateKeyPem: string): string {
  return createSign('RSA-SHA256').update(text, 'utf8').sign(privateKeyPem, 'base64');
}

/** Verifies a base64 RSA-SHA256 signature; a malformed signature is simply not valid. */
export function rsaSha256Verify(text: string, signature: string, publicKeyPem: string): boolean {
  try {
    return createVerify('RSA-SHA256').update(text, 'utf8').verify(publicKeyPem, signature, 'base64');
  } catch {
    return false;
  }
}

/** Signs request (or notification) parameters and returns them with `sign` and `sign_type`. */
export function signAlipayParams(params: AlipayParams, privateKeyPem: string, opts: { forNotification?: boolean } = {}): AlipayParams & { sign: string; sign_type: string } {
  const withType = { ...params, sign_type: ALIPAY_SIGN_TYPE };
  return { ...withType, sign: rsaSha256Sign(alipaySignContent(withType, opts), privateKeyPem) };
}

/** Verifies signed parameters (a request at the channel, or a notification at the merchant). */
export function verifyAlipayParams(params: AlipayParams, publicKeyPem: string, opts: { forNotification?: boolean } = {}): boolean {
  const sign = params.sign;
  if (typeof sign !== 'string' || sign === '') return false;
  return rsaSha256Verify(alipaySignContent(params, opts), sign, publicKeyPem);
}

/** The response key of a method: `alipay.trade.query` answers under `alipay_trade_query_response`. */
export function alipayResponseKey(method: string): string {
  return `${method.replace(/\./g, '_')}_response`;
}

/** A signed response body exactly as Alipay sends it: the signed JSON text followed by its sign. */
export function signAlipayResponse(method: string, response: Record<string, unknown>, privateKeyPem: string): string {
  const content = JSON.stringify(response);
  return `{"${alipayResponseKey(method)}":${content},"sign":"${rsaSha256Sign(content, privateKeyPem)}"}`;
}

/**
 * Verifies a response over the exact text of its `<method>_response` value (re-serialising the
 * parsed JSON would change key order or spacing and break the signature). Returns the parsed value.
 */
export function verifyAlipayResponse(rawBody: string, method: string, publicKeyPem: string): { ok: true; response: Record<string, unknown> } | { ok: false; reason: string } {
  const key = `"${alipayResponseKey(method)}"`;
  const keyAt = rawBody.indexOf(key);
  const signAt = rawBody.lastIndexOf('"sign"');
  if (keyAt < 0) return { ok: false, reason: `no ${key} in the response` };
  if (signAt < 0) return { ok: false, reason: 'the response carries no sign' };
  const start = rawBody.indexOf('{', keyAt + key.length);
  const end = rawBody.lastIndexOf('}', signAt);
  if (start < 0 || end < start) return { ok: false, reason: 'malformed response' };
  const content = rawBody.slice(start, end + 1);
  let parsed: { sign?: unknown };
  try {
    parsed = JSON.parse(rawBody) as { sign?: unknown };
  } catch {
    return { ok: false, reason: 'the response is not JSON' };
  }
  if (typeof parsed.sign !== 'string') return { ok: false, reason: 'the response carries no sign' };
  if (!rsaSha256Verify(content, parsed.sign, publicKeyPem)) return { ok: false, reason: 'the response signature does not verify' };
  return { ok: true, response: JSON.parse(content) as Record<string, unknown> };
}
