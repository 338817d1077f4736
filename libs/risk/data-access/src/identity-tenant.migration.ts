import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identities become the merchant's that registered them (docs/design/trust-boundary.md section 6):
 * one per merchant and user, and one resident ID bound to one user per merchant. A resident ID
 * another user of the merchant holds is still accepted, verified and answered like any other, but
 * its binding is held (`binding_held`): it grants no level (the user stays at `none`) and shows to
 * a risk operator, and the answer never tells whether the ID is taken.
 *
 * Identities from before owners were kept are given to every merchant that had a payment of the
 * user assessed (each keeps the level it was relying on); one no merchant used keeps no owner and
 * grants nothing, until a merchant registers the user again.
 */
export class RiskIdentityTenant1766000100000 implements MigrationInterface {
  name = 'RiskIdentityTenant1766000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE identity ADD COLUMN merchant_id TEXT, ADD COLUMN binding_held BOOLEAN NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE identity DROP CONSTRAINT identity_pkey`);
    await q.query(`DROP INDEX identity_resident_id_hash_key`);
    const columns = `user_id, level, verification, key_id, name_enc, resident_id_enc, phone_enc, bank_card_enc, address_enc, resident_id_hash, card_bin, card_last4,
                     provider_ref, verified_at, created_at, updated_at`;
    await q.query(`
      INSERT INTO identity (merchant_id, ${columns})
      SELECT used.merchant_id, ${columns.replace(/(\w+)/g, 'i.$1')}
        FROM identity i JOIN (SELECT DISTINCT merchant_id, user_id FROM risk_decision) used ON used.user_id = i.user_id
       WHERE i.merchant_id IS NULL`);
    await q.query(`DELETE FROM identity i WHERE i.merchant_id IS NULL AND EXISTS (SELECT 1 FROM identity o WHERE o.user_id = i.user_id AND o.merchant_id IS NOT NULL)`);
    await q.query(`CREATE UNIQUE INDEX identity_merchant_user_key ON identity (merchant_id, user_id)`);
    await q.query(`CREATE UNIQUE INDEX identity_ownerless_user_key ON identity (user_id) WHERE merchant_id IS NULL`);
    // the effective binding of a resident ID: one user per merchant (a held one binds nothing)
    await q.query(`CREATE UNIQUE INDEX identity_merchant_resident_id_key ON identity (merchant_id, resident_id_hash) WHERE NOT binding_held`);
  }

  async down(q: QueryRunner): Promise<void> {
    // one identity per user and per resident ID again: held bindings go, then the latest of each user, then of each resident ID
    await q.query(`DELETE FROM identity WHERE binding_held`);
    await q.query(`
      DELETE FROM identity WHERE ctid IN (
        SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION BY user_id ORDER BY updated_at DESC, merchant_id) AS n FROM identity) ranked WHERE n > 1)`);
    await q.query(`
      DELETE FROM identity WHERE ctid IN (
        SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION BY resident_id_hash ORDER BY updated_at DESC, user_id) AS n FROM identity) ranked WHERE n > 1)`);
    await q.query(`DROP INDEX identity_merchant_resident_id_key`);
    await q.query(`DROP INDEX identity_ownerless_user_key`);
    await q.query(`DROP INDEX identity_merchant_user_key`);
    await q.query(`ALTER TABLE identity DROP COLUMN merchant_id, DROP COLUMN binding_held`);
    await q.query(`ALTER TABLE identity ADD PRIMARY KEY (user_id)`);
    await q.query(`CREATE UNIQUE INDEX identity_resident_id_hash_key ON identity (resident_id_hash)`);
  }
}
