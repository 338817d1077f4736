import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** AES-256-GCM: a 32-byte key, a fresh 12-byte IV per value, a 16-byte tag. */
export const IDENTITY_KEY_BYTES = 32;
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
const KEY_ID_SHAPE = /^[A-Za-z0-9_-]{1,32}$/;
/** HKDF info of the lookup-hash key, so it is never the encryption key itself. */
const HASH_KEY_INFO = 'paystream-risk-identity-hash-v1';

/** One identity encryption key and the id stored beside every value it encrypted. */
export interface IdentityKey {
  id: string;
  key: Buffer;
}

/**
 * The identity keys: the first encrypts new writes, all of them decrypt (rotation: a new key goes
 * first, the old ones stay listed until every row was rewritten). The lookup hash of resident IDs is
 * keyed from the LAST (oldest) key, so rotating the encryption key keeps existing hashes and their
 * unique index valid; drop that key only together with re-hashing every row.
 */
export class IdentityKeyRing {
  readonly current: IdentityKey;
  private readonly byId: ReadonlyMap<string, Buffer>;
  private readonly hashKey: Buffer;

  constructor(keys: readonly IdentityKey[]) {
    if (keys.length === 0) throw new Error('at least one identity key is required');
    const byId = new Map<string, Buffer>();
    for (const k of keys) {
      if (!KEY_ID_SHAPE.test(k.id)) throw new Error(`identity key id "${k.id}" must be 1-32 letters, digits, _ or -`);
      if (k.key.length !== IDENTITY_KEY_BYTES) throw new Error(`identity key ${k.id} must be ${IDENTITY_KEY_BYTES} bytes, not ${k.key.length}`);
      if (byId.has(k.id)) throw new Error(`identity key id ${k.id} is listed twice`);
      byId.set(k.id, k.key);
    }
    this.current = keys[0]!;
    this.byId = byId;
    this.hashKey = Buffer.from(hkdfSync('sha256', keys[keys.length - 1]!.key, Buffer.alloc(0), HASH_KEY_INFO, IDENTITY_KEY_BYTES));
  }

  /** Parses `keyId:base64[,keyId:base64...]` (the RISK_IDENTITY_KEYS format); throws saying what is wrong. */
  static parse(text: string): IdentityKeyRing {
    const entries = text
      .split(/[,\n]/)
      .map((e) => e.trim())
      .filter((e) => e !== '' && !e.startsWith('#'));
    return new IdentityKeyRing(
      entries.map((entry) => {
        const colon = entry.indexOf(':');
        if (colon <= 0) throw new Error('identity keys are keyId:base64-of-32-bytes, comma separated');
        const b64 = entry.slice(colon + 1);
        if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error(`identity key ${entry.slice(0, colon)} is not base64`);
        return { id: entry.slice(0, colon), key: Buffer.from(b64, 'base64') };
      }),
    );
  }

  /** A fresh ring of one random key (tests). */
  static random(id = 'k1'): IdentityKeyRing {
    return new IdentityKeyRing([{ id, key: randomBytes(IDENTITY_KEY_BYTES) }]);
  }

  /** Logged or serialised, the ring names its key ids only. */
  toJSON(): { keyIds: string[] } {
    return { keyIds: [...this.byId.keys()] };
  }

  [inspect.custom](): string {
    return `IdentityKeyRing(${[...this.byId.keys()].join(', ')})`;
  }

  /** `base64(iv || tag || ciphertext)` of the UTF-8 text under the current key, and that key's id. */
  encrypt(plain: string): { keyId: string; ciphertext: string } {
    const iv = randomBytes(GCM_IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return { keyId: this.current.id, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
  }

  /** The text encrypted under keyId; throws when the key is unknown or the value was altered (GCM tag). */
  decrypt(keyId: string, ciphertext: string): string {
    const key = this.byId.get(keyId);
    if (!key) throw new Error(`identity key ${keyId} is not configured; it is needed to read rows written with it`);
    const raw = Buffer.from(ciphertext, 'base64');
    if (raw.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new Error('identity ciphertext is too short');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, GCM_IV_BYTES));
    decipher.setAuthTag(raw.subarray(GCM_IV_BYTES, GCM_IV_BYTES + GCM_TAG_BYTES));
    // final() throws when the tag does not match: a tampered or mis-keyed value is refused, never half-read
    return Buffer.concat([decipher.update(raw.subarray(GCM_IV_BYTES + GCM_TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** HMAC-SHA256 (hex) of a resident ID, upper-cased first so `x` and `X` find the same row. */
  residentIdHash(residentId: string): string {
    return createHmac('sha256', this.hashKey).update(residentId.toUpperCase()).digest('hex');
  }
}
