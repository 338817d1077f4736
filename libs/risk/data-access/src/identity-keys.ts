import { hkdfSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHANNEL_KEY_FILES } from '@paystream/shared/channel-protocols';
import { IDENTITY_KEY_BYTES, IdentityKeyRing } from './identity-cipher';

/** The file in CHANNEL_KEYS_DIR that holds the identity keys (RISK_IDENTITY_KEYS format, one or more lines). */
export const RISK_IDENTITY_KEYS_FILE = 'risk-identity.keys';
/** HKDF info of the key derived from the card token secret when no identity keys are configured. */
export const RISK_IDENTITY_DERIVED_KEY_INFO = 'paystream-risk-identity-v1';
/** The id of that derived key. */
export const RISK_IDENTITY_DERIVED_KEY_ID = 'k1';

/** Where the identity keys came from (logged at start-up; never the keys themselves). */
export type IdentityKeySource = 'file' | 'env' | 'derived-from-card-token-key';

/**
 * The identity keys, from the first of: `risk-identity.keys` in the keys directory; the
 * RISK_IDENTITY_KEYS variable; else one key `k1` derived (HKDF-SHA256, info
 * `paystream-risk-identity-v1`) from the `card-token.key` secret the setup script writes there, so
 * the demo and the e2e stack start without a new secret. Throws naming what is missing or wrong.
 */
export function loadIdentityKeys(keysDir: string, envKeys: string | undefined): { ring: IdentityKeyRing; source: IdentityKeySource } {
  const file = join(keysDir, RISK_IDENTITY_KEYS_FILE);
  if (existsSync(file)) {
    try {
      return { ring: IdentityKeyRing.parse(readFileSync(file, 'utf8')), source: 'file' };
    } catch (error) {
      throw new Error(`${file}: ${(error as Error).message}`);
    }
  }
  if (envKeys !== undefined && envKeys.trim() !== '') {
    try {
      return { ring: IdentityKeyRing.parse(envKeys), source: 'env' };
    } catch (error) {
      throw new Error(`RISK_IDENTITY_KEYS: ${(error as Error).message}`);
    }
  }
  const cardTokenKey = join(keysDir, CHANNEL_KEY_FILES.cardTokenKey);
  if (existsSync(cardTokenKey)) {
    const secret = readFileSync(cardTokenKey, 'utf8').trim();
    if (secret.length < 16) throw new Error(`${cardTokenKey} is shorter than 16 characters; cannot derive the identity key from it`);
    const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), RISK_IDENTITY_DERIVED_KEY_INFO, IDENTITY_KEY_BYTES));
    return { ring: new IdentityKeyRing([{ id: RISK_IDENTITY_DERIVED_KEY_ID, key }]), source: 'derived-from-card-token-key' };
  }
  throw new Error(
    `no identity encryption key: put keyId:base64-of-32-bytes in ${file} or RISK_IDENTITY_KEYS, or run scripts/setup.sh so ${cardTokenKey} exists to derive one from`,
  );
}
