import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { rsaSha256Sign, rsaSha256Verify } from './alipay';

/** The authorisation scheme of WeChat Pay API v3. */
export const WECHATPAY_AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';
/** Responses and notifications older (or newer) than this are refused as replays. */
export const WECHATPAY_TIMESTAMP_SKEW_MAX_S = 300;
const GCM_TAG_BYTES = 16;

/** The message WeChat Pay signs: `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` (URL = path and query). */
export function wechatpayRequestMessage(method: string, url: string, timestamp: string, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${url}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** The message of a response or notification: `TIMESTAMP\nNONCE\nBODY\n`. */
export function wechatpayResponseMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** The Authorization header of a merchant request. */
export function wechatpayAuthorization(a: { mchid: string; serialNo: string; privateKeyPem: string; method: string; url: string; body: string; timestamp?: string; nonce?: string }): string {
  const timestamp = a.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = a.nonce ?? randomBytes(16).toString('hex');
  const signature = rsaSha256Sign(wechatpayRequestMessage(a.method, a.url, timestamp, nonce, a.body), a.privateKeyPem);
  return `${WECHATPAY_AUTH_SCHEMA} mchid="${a.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${a.serialNo}"`;
}

/** Parses an Authorization header of the v3 scheme; undefined when it is not one. */
export function parseWechatpayAuthorization(header: string): { mchid: string; nonce: string; signature: string; timestamp: string; serialNo: string } | undefined {
  if (!header.startsWith(`${WECHATPAY_AUTH_SCHEMA} `)) return undefined;
  const fields = Object.fromEntries([...header.slice(WECHATPAY_AUTH_SCHEMA.length + 1).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const { mchid, nonce_str: nonce, signature, timestamp, serial_no: serialNo } = fields as Record<string, string | undefined>;
  if (!mchid || !nonce || !signature || !timestamp || !serialNo) return undefined;
  return { mchid, nonce, signature, timestamp, serialNo };
}

export type WechatpayCheck = { ok: true } | { ok: false; reason: 'stale-timestamp' | 'bad-signature' };

/** Verifies the Wechatpay-* headers of a response or notification: fresh timestamp, then signature. */
export function verifyWechatpaySignature(v: { timestamp: string; nonce: string; body: string; signature: string; publicKeyPem: string; nowS?: number }): WechatpayCheck {
  const now = v.nowS ?? Math.floor(Date.now() / 1000);
  const ts = Number(v.timestamp);
  if (!Number.isInteger(ts) || Math.abs(now - ts) > WECHATPAY_TIMESTAMP_SKEW_MAX_S) return { ok: false, reason: 'stale-timestamp' };
  return rsaSha256Verify(wechatpayResponseMessage(v.timestamp, v.nonce, v.body), v.signature, v.publicKeyPem) ? { ok: true } : { ok: false, reason: 'bad-signature' };
}

export interface WechatpayEncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  associated_data: string;
  nonce: string;
}

/** Encrypts a notification resource as WeChat Pay does (AEAD_AES_256_GCM with the 32-byte APIv3 key). */
export function encryptWechatpayResource(plaintext: string, apiV3Key: string, associatedData: string, nonce = randomBytes(6).toString('hex')): WechatpayEncryptedResource {
  const cipher = createCipheriv('aes-256-gcm', apiV3Key32(apiV3Key), nonce);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: associatedData, nonce };
}

/** Decrypts a notification resource; undefined when it was tampered with or the key is wrong. */
export function decryptWechatpayResource(resource: WechatpayEncryptedResource, apiV3Key: string): string | undefined {
  try {
    const data = Buffer.from(resource.ciphertext, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', apiV3Key32(apiV3Key), resource.nonce);
    decipher.setAAD(Buffer.from(resource.associated_data, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function apiV3Key32(key: string): Buffer {
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length !== 32) throw new RangeError('the APIv3 key is 32 bytes');
  return bytes;
}
