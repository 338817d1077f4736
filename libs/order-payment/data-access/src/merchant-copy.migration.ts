import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * order-payment's copy of the merchant registry (fed by merchant.registered.v1 / merchant.updated.v1):
 * only what a payment needs, whether the merchant exists and may take payments, at the version seen.
 */
export class MerchantCopy1765510000000 implements MigrationInterface {
  name = 'MerchantCopy1765510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE merchant (
        merchant_id TEXT PRIMARY KEY,
        version     INT NOT NULL CHECK (version >= 1),
        status      TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
        legal_name  TEXT NOT NULL,
        changed_at  TIMESTAMPTZ NOT NULL,
        copied_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE merchant`);
  }
}
