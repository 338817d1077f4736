import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A card token belongs to the merchant that tokenised the card (docs/design/trust-boundary.md
 * section 6): a charge with it for another merchant is refused as an unknown token. The token
 * itself still names the card (the same card gives the same token), so one row per merchant that
 * tokenised it, each with its own channel token.
 *
 * Rows from before owners were kept get the merchant that charged with them, where exactly one
 * did; a row no single merchant used stays without an owner and is refused to everyone until its
 * merchant tokenises the card again (which gives the same token, owned).
 */
export class CardTokenOwner1766000000000 implements MigrationInterface {
  name = 'CardTokenOwner1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE card_token ADD COLUMN merchant_id TEXT`);
    await q.query(`
      UPDATE card_token c SET merchant_id = used.merchant_id
        FROM (SELECT card_token, min(merchant_id) AS merchant_id FROM channel_transaction
               WHERE card_token IS NOT NULL GROUP BY card_token HAVING count(DISTINCT merchant_id) = 1) used
       WHERE used.card_token = c.token`);
    await q.query(`ALTER TABLE card_token DROP CONSTRAINT card_token_pkey`);
    await q.query(`CREATE UNIQUE INDEX card_token_merchant_token_key ON card_token (merchant_id, token)`);
    // an owned row is unique per merchant (above); an ownerless one per token
    await q.query(`CREATE UNIQUE INDEX card_token_ownerless_key ON card_token (token) WHERE merchant_id IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // one row per token again: the oldest is kept
    await q.query(`
      DELETE FROM card_token WHERE ctid IN (
        SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION BY token ORDER BY created_at, merchant_id NULLS FIRST) AS n FROM card_token) ranked WHERE n > 1)`);
    await q.query(`DROP INDEX card_token_ownerless_key`);
    await q.query(`DROP INDEX card_token_merchant_token_key`);
    await q.query(`ALTER TABLE card_token DROP COLUMN merchant_id`);
    await q.query(`ALTER TABLE card_token ADD PRIMARY KEY (token)`);
  }
}
