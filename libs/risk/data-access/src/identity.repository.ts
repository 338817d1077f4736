import { CARD_BIN_LENGTH, CARD_LAST4_LENGTH, VERIFICATION_LEVELS, type IdentityAddress, type IdentityInput, type VerificationLevel } from '@paystream/risk/domain';
import type { EntityManager } from '@paystream/shared/persistence';
import type { IdentityKeyRing } from './identity-cipher';

/** Whether the provider answered for the stored level, or could not be asked (level stays `none` until it does). */
export type IdentityVerification = 'verified' | 'pending';

/** An identity as read back: decrypted, for this process only; views mask it before it leaves. */
export interface StoredIdentity extends IdentityInput {
  level: VerificationLevel;
  verification: IdentityVerification;
  keyId: string;
  cardBin: string;
  cardLast4: string;
  providerRef: string | null;
  verifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What is written: the identity, its level and how it was verified. */
export interface IdentityWrite extends IdentityInput {
  level: VerificationLevel;
  verification: IdentityVerification;
  providerRef: string | null;
  verifiedAt: Date | null;
}

/** The resident ID is registered to another user (the keyed hash is unique). */
export class ResidentIdTakenError extends Error {
  constructor() {
    super('the resident ID belongs to another user');
    this.name = 'ResidentIdTakenError';
  }
}

interface Row {
  user_id: string;
  level: VerificationLevel;
  verification: IdentityVerification;
  key_id: string;
  name_enc: string;
  resident_id_enc: string;
  phone_enc: string;
  bank_card_enc: string;
  address_enc: string;
  card_bin: string;
  card_last4: string;
  provider_ref: string | null;
  verified_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const UNIQUE_VIOLATION = '23505';
const RESIDENT_ID_HASH_INDEX = 'identity_resident_id_hash_key';

/**
 * Real-name identities, encrypted at rest: every write encrypts with the current key (so an update
 * re-encrypts a row written under an older one), every read decrypts with the key the row names.
 */
export class IdentityRepository {
  constructor(private readonly keys: IdentityKeyRing) {}

  /** Creates or replaces the user's identity; `created` is false when it replaced one. Throws ResidentIdTakenError. */
  async save(tx: EntityManager, w: IdentityWrite): Promise<{ identity: StoredIdentity; created: boolean }> {
    // the ring's current key encrypts every field, so the row's one key_id names it
    const enc = (plain: string) => this.keys.encrypt(plain).ciphertext;
    const values = [
      w.userId,
      w.level,
      w.verification,
      this.keys.current.id,
      enc(w.name),
      enc(w.residentId),
      enc(w.phone),
      enc(w.bankCard),
      enc(JSON.stringify(w.address)),
      this.keys.residentIdHash(w.residentId),
      w.bankCard.slice(0, CARD_BIN_LENGTH),
      w.bankCard.slice(-CARD_LAST4_LENGTH),
      w.providerRef,
      w.verifiedAt,
    ];
    let rows: (Row & { created: boolean })[];
    try {
      rows = await tx.query(
        `INSERT INTO identity (user_id, level, verification, key_id, name_enc, resident_id_enc, phone_enc, bank_card_enc, address_enc,
                               resident_id_hash, card_bin, card_last4, provider_ref, verified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (user_id) DO UPDATE SET
           level = EXCLUDED.level, verification = EXCLUDED.verification, key_id = EXCLUDED.key_id,
           name_enc = EXCLUDED.name_enc, resident_id_enc = EXCLUDED.resident_id_enc, phone_enc = EXCLUDED.phone_enc,
           bank_card_enc = EXCLUDED.bank_card_enc, address_enc = EXCLUDED.address_enc, resident_id_hash = EXCLUDED.resident_id_hash,
           card_bin = EXCLUDED.card_bin, card_last4 = EXCLUDED.card_last4, provider_ref = EXCLUDED.provider_ref,
           verified_at = EXCLUDED.verified_at, updated_at = now()
         RETURNING *, (xmax = 0) AS created`,
        values,
      );
    } catch (error) {
      const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
      const code = e.driverError?.code ?? e.code;
      const constraint = e.driverError?.constraint ?? e.constraint;
      if (code === UNIQUE_VIOLATION && constraint === RESIDENT_ID_HASH_INDEX) throw new ResidentIdTakenError();
      throw error;
    }
    const row = rows[0];
    if (!row) throw new Error(`identity of ${w.userId} was not written`);
    return { identity: this.toIdentity(row), created: row.created };
  }

  /** The user's identity, decrypted; undefined when the user has none. */
  async find(tx: EntityManager, userId: string): Promise<StoredIdentity | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM identity WHERE user_id = $1`, [userId]);
    return rows[0] ? this.toIdentity(rows[0]) : undefined;
  }

  /** The user holding this resident ID, if any (found by its keyed hash; the ID is never compared in the clear). */
  async userIdByResidentId(tx: EntityManager, residentId: string): Promise<string | undefined> {
    const rows: { user_id: string }[] = await tx.query(`SELECT user_id FROM identity WHERE resident_id_hash = $1`, [this.keys.residentIdHash(residentId)]);
    return rows[0]?.user_id;
  }

  /** How far the user's real name is verified: `none` for a user without an identity. */
  async levelOf(tx: EntityManager, userId: string): Promise<VerificationLevel> {
    const rows: { level: string }[] = await tx.query(`SELECT level FROM identity WHERE user_id = $1`, [userId]);
    const level = rows[0]?.level;
    if (level === undefined) return 'none';
    if (!(VERIFICATION_LEVELS as readonly string[]).includes(level)) throw new Error(`identity of ${userId} has unknown level ${level}`);
    return level as VerificationLevel;
  }

  private toIdentity(r: Row): StoredIdentity {
    const dec = (ciphertext: string) => this.keys.decrypt(r.key_id, ciphertext);
    return {
      userId: r.user_id,
      name: dec(r.name_enc),
      residentId: dec(r.resident_id_enc),
      phone: dec(r.phone_enc),
      bankCard: dec(r.bank_card_enc),
      address: JSON.parse(dec(r.address_enc)) as IdentityAddress,
      level: r.level,
      verification: r.verification,
      keyId: r.key_id,
      cardBin: r.card_bin,
      cardLast4: r.card_last4,
      providerRef: r.provider_ref,
      verifiedAt: r.verified_at,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}
