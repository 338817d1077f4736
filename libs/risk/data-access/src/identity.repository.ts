import { CARD_BIN_LENGTH, CARD_LAST4_LENGTH, VERIFICATION_LEVELS, type IdentityAddress, type IdentityInput, type VerificationLevel } from '@paystream/risk/domain';
import type { EntityManager } from '@paystream/shared/persistence';
import type { IdentityKeyRing } from './identity-cipher';

/** Whether the provider answered for the stored level, or could not be asked (level stays `none` until it does). */
export type IdentityVerification = 'verified' | 'pending';

/** An identity as read back: decrypted, for this process only; views mask it before it leaves. */
export interface StoredIdentity extends IdentityInput {
  /** The merchant that registered it: the identity is that merchant's user's, for that merchant's payments. */
  merchantId: string;
  /** The level the provider verified for what was submitted. */
  level: VerificationLevel;
  /**
   * The resident ID is bound to another user of the merchant: this binding is held for an operator
   * and grants no level (the effective level is `none`). Never shown to the merchant.
   */
  bindingHeld: boolean;
  verification: IdentityVerification;
  keyId: string;
  cardBin: string;
  cardLast4: string;
  providerRef: string | null;
  verifiedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What is written: the merchant's identity of its user, its level and how it was verified. */
export interface IdentityWrite extends IdentityInput {
  merchantId: string;
  level: VerificationLevel;
  /** Hold the binding: the resident ID is bound to another of the merchant's users. */
  bindingHeld: boolean;
  verification: IdentityVerification;
  providerRef: string | null;
  verifiedAt: Date | null;
}

/** The resident ID is bound to another user of the merchant (the keyed hash is unique per merchant among bindings not held). */
export class ResidentIdTakenError extends Error {
  constructor() {
    super('the resident ID is bound to another user of the merchant');
    this.name = 'ResidentIdTakenError';
  }
}

interface Row {
  merchant_id: string;
  user_id: string;
  binding_held: boolean;
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
const RESIDENT_ID_HASH_INDEX = 'identity_merchant_resident_id_key';

/**
 * Real-name identities, each the merchant's that registered it (one per merchant and user; every
 * read and write names the merchant), encrypted at rest: every write encrypts with the current key
 * (so an update re-encrypts a row written under an older one), every read decrypts with the key the
 * row names.
 */
export class IdentityRepository {
  constructor(private readonly keys: IdentityKeyRing) {}

  /** Creates or replaces the merchant's identity of its user; `created` is false when it replaced one. Throws ResidentIdTakenError (a binding not held, of an ID bound to another user of the merchant). */
  async save(tx: EntityManager, w: IdentityWrite): Promise<{ identity: StoredIdentity; created: boolean }> {
    // the ring's current key encrypts every field, so the row's one key_id names it
    const enc = (plain: string) => this.keys.encrypt(plain).ciphertext;
    const values = [
      w.merchantId,
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
      w.bindingHeld,
    ];
    let rows: (Row & { created: boolean })[];
    try {
      rows = await tx.query(
        `INSERT INTO identity (merchant_id, user_id, level, verification, key_id, name_enc, resident_id_enc, phone_enc, bank_card_enc, address_enc,
                               resident_id_hash, card_bin, card_last4, provider_ref, verified_at, binding_held)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (merchant_id, user_id) DO UPDATE SET
           level = EXCLUDED.level, verification = EXCLUDED.verification, key_id = EXCLUDED.key_id,
           name_enc = EXCLUDED.name_enc, resident_id_enc = EXCLUDED.resident_id_enc, phone_enc = EXCLUDED.phone_enc,
           bank_card_enc = EXCLUDED.bank_card_enc, address_enc = EXCLUDED.address_enc, resident_id_hash = EXCLUDED.resident_id_hash,
           card_bin = EXCLUDED.card_bin, card_last4 = EXCLUDED.card_last4, provider_ref = EXCLUDED.provider_ref,
           verified_at = EXCLUDED.verified_at, binding_held = EXCLUDED.binding_held, updated_at = now()
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

  /** The merchant's identity of its user, decrypted; undefined when the merchant registered none for the user. */
  async find(tx: EntityManager, merchantId: string, userId: string): Promise<StoredIdentity | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM identity WHERE merchant_id = $1 AND user_id = $2`, [merchantId, userId]);
    return rows[0] ? this.toIdentity(rows[0]) : undefined;
  }

  /** Every merchant's identity of a user id (an operator's view), by merchant. */
  async findAllMerchants(tx: EntityManager, userId: string): Promise<StoredIdentity[]> {
    const rows: Row[] = await tx.query(`SELECT * FROM identity WHERE user_id = $1 AND merchant_id IS NOT NULL ORDER BY merchant_id`, [userId]);
    return rows.map((r) => this.toIdentity(r));
  }

  /** The merchant's user this resident ID is bound to (a held binding binds nothing), if any; found by its keyed hash, never compared in the clear. */
  async userIdByResidentId(tx: EntityManager, merchantId: string, residentId: string): Promise<string | undefined> {
    const rows: { user_id: string }[] = await tx.query(`SELECT user_id FROM identity WHERE merchant_id = $1 AND resident_id_hash = $2 AND NOT binding_held`, [
      merchantId,
      this.keys.residentIdHash(residentId),
    ]);
    return rows[0]?.user_id;
  }

  /**
   * How far the user's real name is verified for the merchant's payments: its own identity of the
   * user (another merchant's grants nothing), `none` without one or while its binding is held.
   */
  async levelOf(tx: EntityManager, merchantId: string, userId: string): Promise<VerificationLevel> {
    const rows: { level: string; binding_held: boolean }[] = await tx.query(`SELECT level, binding_held FROM identity WHERE merchant_id = $1 AND user_id = $2`, [merchantId, userId]);
    const row = rows[0];
    if (row === undefined || row.binding_held) return 'none';
    if (!(VERIFICATION_LEVELS as readonly string[]).includes(row.level)) throw new Error(`identity of ${userId} at ${merchantId} has unknown level ${row.level}`);
    return row.level as VerificationLevel;
  }

  private toIdentity(r: Row): StoredIdentity {
    const dec = (ciphertext: string) => this.keys.decrypt(r.key_id, ciphertext);
    return {
      merchantId: r.merchant_id,
      userId: r.user_id,
      name: dec(r.name_enc),
      residentId: dec(r.resident_id_enc),
      phone: dec(r.phone_enc),
      bankCard: dec(r.bank_card_enc),
      address: JSON.parse(dec(r.address_enc)) as IdentityAddress,
      level: r.level,
      bindingHeld: r.binding_held,
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
