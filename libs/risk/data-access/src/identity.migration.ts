import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Real-name identities, one per user. Every personal value is AES-256-GCM ciphertext
 * (base64 of iv || tag || ciphertext) under the key named by key_id; what stays in the clear is the
 * level, the card's BIN and last four, and a keyed hash (HMAC-SHA256) of the resident ID so one ID
 * can belong to one user only without the ID being readable.
 */
export class RiskIdentity1764061000000 implements MigrationInterface {
  name = 'RiskIdentity1764061000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE identity (
        user_id          TEXT PRIMARY KEY,
        level            TEXT NOT NULL CHECK (level IN ('none', 'basic', 'full')),
        verification     TEXT NOT NULL CHECK (verification IN ('verified', 'pending')),
        key_id           TEXT NOT NULL,
        name_enc         TEXT NOT NULL,
        resident_id_enc  TEXT NOT NULL,
        phone_enc        TEXT NOT NULL,
        bank_card_enc    TEXT NOT NULL,
        address_enc      TEXT NOT NULL,
        resident_id_hash CHAR(64) NOT NULL,
        card_bin         CHAR(6) NOT NULL,
        card_last4       CHAR(4) NOT NULL,
        provider_ref     TEXT,
        verified_at      TIMESTAMPTZ,
        created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
        CHECK ((verification = 'verified') = (verified_at IS NOT NULL)),
        CHECK (verification = 'verified' OR level = 'none')
      )`);
    await q.query(`CREATE UNIQUE INDEX identity_resident_id_hash_key ON identity (resident_id_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE identity`);
  }
}
