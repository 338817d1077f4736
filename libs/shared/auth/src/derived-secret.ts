import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { CREDENTIAL_KINDS, KEY_MODES } from '@paystream/contracts';

export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];
export type KeyMode = (typeof KEY_MODES)[number];

/** Shortest pepper accepted, in bytes (docs/design/trust-boundary.md section 3). */
export const CREDENTIAL_PEPPER_BYTES_MIN = 32;
/** The label every derived secret is keyed under; a new scheme gets a new label. */
export const CREDENTIAL_SECRET_LABEL = 'paystream-credential-v1:';
/** Base62 characters after a credential id's public prefix. */
export const CREDENTIAL_ID_RANDOM_CHARS = 22;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Reads CREDENTIAL_PEPPER (base64, at least 32 bytes); throws why when it is not one. */
export function parsePepper(text: string | undefined): Buffer {
  if (text === undefined || text.trim() === '') throw new Error('CREDENTIAL_PEPPER is not set (scripts/setup.sh writes one to .run/credential-pepper)');
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new Error('CREDENTIAL_PEPPER must be base64');
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length < CREDENTIAL_PEPPER_BYTES_MIN) throw new Error(`CREDENTIAL_PEPPER must decode to at least ${CREDENTIAL_PEPPER_BYTES_MIN} bytes`);
  return bytes;
}

/** A fresh random pepper, base64 (what setup writes to .run/credential-pepper). */
export function newPepper(): string {
  return randomBytes(CREDENTIAL_PEPPER_BYTES_MIN).toString('base64');
}

/** The secret of a credential: base64url(HMAC-SHA256(pepper, label + id)); derived, never stored. */
export function deriveSecret(pepper: Buffer, credentialId: string): string {
  return createHmac('sha256', pepper).update(CREDENTIAL_SECRET_LABEL + credentialId, 'utf8').digest('base64url');
}

/** What the registry stores of a secret: its hex SHA-256 (to confirm a presented one, never to recover it). */
export function secretSha256(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function base62(chars: number): string {
  // rejection sampling keeps every character equally likely (256 is not a multiple of 62)
  let out = '';
  while (out.length < chars) {
    for (const byte of randomBytes(chars * 2)) {
      if (byte < 248 && out.length < chars) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** A new credential id with its public prefix: pk_live_/pk_test_ keys, op_ operator tokens, svc_<name>_ service tokens. */
export function newCredentialId(spec: { kind: 'merchant-api-key'; mode: KeyMode } | { kind: 'operator-token' } | { kind: 'service-token'; service: string }): string {
  const random = base62(CREDENTIAL_ID_RANDOM_CHARS);
  if (spec.kind === 'merchant-api-key') return `pk_${spec.mode}_${random}`;
  if (spec.kind === 'operator-token') return `op_${random}`;
  if (!/^[a-z0-9-]{1,32}$/.test(spec.service)) throw new Error(`not a service name: ${spec.service}`);
  return `svc_${spec.service}_${random}`;
}
