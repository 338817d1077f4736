import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The scheme name: the first word of the Authorization header and the first line of the string to sign. */
export const SIGNATURE_SCHEME = 'PAYSTREAM-HMAC-SHA256';
/** How far a request's timestamp may be from the server clock, in seconds, either way. */
export const SIGNATURE_TIMESTAMP_SKEW_S_MAX = 300;
/** How long a nonce is remembered, in seconds: twice the skew, so a nonce cannot come back inside the window. */
export const NONCE_RETENTION_S = 2 * SIGNATURE_TIMESTAMP_SKEW_S_MAX;

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const KEY_ID = /^pk_(live|test)_[0-9A-Za-z]{22}$/;
const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^[A-Za-z0-9+/]{43}=$/; // base64 of 32 bytes

/** What a merchant signs: the request as sent, and when and with which nonce. */
export interface SignedRequestParts {
  method: string;
  /** The path with its query string, exactly as sent (no re-encoding). */
  pathWithQuery: string;
  /** Unix seconds. */
  timestamp: number;
  nonce: string;
  /** The body bytes as sent (empty for none). */
  body: Uint8Array | string;
}

/** Hex SHA-256 of the body bytes (of nothing for a request without a body). */
export function bodySha256(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The string to sign: scheme, METHOD, path with query, timestamp, nonce and the body hash, one per line. */
export function stringToSign(parts: SignedRequestParts): string {
  return [SIGNATURE_SCHEME, parts.method.toUpperCase(), parts.pathWithQuery, String(parts.timestamp), parts.nonce, bodySha256(parts.body)].join('\n');
}

/** The base64 HMAC-SHA256 of the string to sign, keyed with the secret's text (its ASCII bytes). */
export function signRequest(secret: string, parts: SignedRequestParts): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(stringToSign(parts), 'utf8').digest('base64');
}

/** Whether a presented signature is the request's (constant time over the decoded bytes). */
export function signatureMatches(secret: string, parts: SignedRequestParts, presented: string): boolean {
  const expected = Buffer.from(signRequest(secret, parts), 'base64');
  const given = Buffer.from(presented, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A fresh random nonce (22 base64url characters). */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** The Authorization header value for a signed request. */
export function signatureHeader(keyId: string, secret: string, parts: SignedRequestParts): string {
  return `${SIGNATURE_SCHEME} keyId=${keyId},timestamp=${parts.timestamp},nonce=${parts.nonce},signature=${signRequest(secret, parts)}`;
}

/** The fields of a PAYSTREAM-HMAC-SHA256 Authorization header. */
export interface SignatureHeaderFields {
  keyId: string;
  timestamp: number;
  nonce: string;
  signature: string;
}

/**
 * Reads `PAYSTREAM-HMAC-SHA256 keyId=..,timestamp=..,nonce=..,signature=..` (each field once, in any
 * order); undefined when it is not exactly that.
 */
export function parseSignatureHeader(value: string): SignatureHeaderFields | undefined {
  const prefix = `${SIGNATURE_SCHEME} `;
  if (!value.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const pair of value.slice(prefix.length).split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) return undefined;
    const name = pair.slice(0, at).trim();
    if (fields.has(name)) return undefined;
    fields.set(name, pair.slice(at + 1).trim());
  }
  const keyId = fields.get('keyId');
  const timestamp = fields.get('timestamp');
  const nonce = fields.get('nonce');
  const signature = fields.get('signature');
  if (fields.size !== 4 || !keyId || !timestamp || !nonce || !signature) return undefined;
  if (!KEY_ID.test(keyId) || !TIMESTAMP.test(timestamp) || !NONCE.test(nonce) || !SIGNATURE.test(signature)) return undefined;
  return { keyId, timestamp: Number(timestamp), nonce, signature };
}

/** A bearer token for an operator or a service: `<credentialId>.<secret>`. */
export function bearerToken(credentialId: string, secret: string): string {
  return `${credentialId}.${secret}`;
}

/** Reads `Bearer <credentialId>.<secret>`; undefined when it is not one. */
export function parseBearer(value: string): { credentialId: string; secret: string } | undefined {
  const m = /^Bearer (op_[0-9A-Za-z]{22}|svc_[a-z0-9-]{1,32}_[0-9A-Za-z]{22})\.([A-Za-z0-9_-]{43})$/.exec(value.trim());
  return m ? { credentialId: m[1]!, secret: m[2]! } : undefined;
}

/** Whether a presented secret is the one derived for the credential (constant time). */
export function secretMatches(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
