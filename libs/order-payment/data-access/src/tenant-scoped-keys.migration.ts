import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Order ids and Idempotency-Keys are a merchant's own (docs/design/trust-boundary.md section 6): two
 * merchants may use the same order id or key without colliding. The payment is unique per
 * (merchant, order); the keys of POST /payments and of refunds carry their merchant, copied from
 * their payment, and are unique per (merchant, key). A key row or refund can only point at a payment
 * of its own merchant (foreign key on (payment, merchant)).
 *
 * Down fails once two merchants share an order id or a key (the global constraints cannot come back).
 */
export class TenantScopedKeys1765600000000 implements MigrationInterface {
  name = 'TenantScopedKeys1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment DROP CONSTRAINT payment_order_id_key`);
    await q.query(`ALTER TABLE payment ADD CONSTRAINT payment_merchant_order_key UNIQUE (merchant_id, order_id)`);
    // the target of the (payment, merchant) foreign keys below
    await q.query(`ALTER TABLE payment ADD CONSTRAINT payment_id_merchant_key UNIQUE (id, merchant_id)`);

    await q.query(`ALTER TABLE idempotency_key ADD COLUMN merchant_id TEXT`);
    await q.query(`UPDATE idempotency_key k SET merchant_id = p.merchant_id FROM payment p WHERE p.id = k.payment_id`);
    await q.query(`ALTER TABLE idempotency_key ALTER COLUMN merchant_id SET NOT NULL`);
    await q.query(`ALTER TABLE idempotency_key DROP CONSTRAINT idempotency_key_pkey, ADD PRIMARY KEY (merchant_id, key)`);
    await q.query(`ALTER TABLE idempotency_key ADD CONSTRAINT idempotency_key_payment_merchant_fkey FOREIGN KEY (payment_id, merchant_id) REFERENCES payment (id, merchant_id)`);

    await q.query(`ALTER TABLE refund ADD COLUMN merchant_id TEXT`);
    await q.query(`UPDATE refund r SET merchant_id = p.merchant_id FROM payment p WHERE p.id = r.payment_id`);
    await q.query(`ALTER TABLE refund ALTER COLUMN merchant_id SET NOT NULL`);
    await q.query(`ALTER TABLE refund DROP CONSTRAINT refund_idempotency_key_key, ADD CONSTRAINT refund_merchant_idempotency_key UNIQUE (merchant_id, idempotency_key)`);
    await q.query(`ALTER TABLE refund ADD CONSTRAINT refund_payment_merchant_fkey FOREIGN KEY (payment_id, merchant_id) REFERENCES payment (id, merchant_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refund DROP CONSTRAINT refund_payment_merchant_fkey, DROP CONSTRAINT refund_merchant_idempotency_key, ADD CONSTRAINT refund_idempotency_key_key UNIQUE (idempotency_key)`);
    await q.query(`ALTER TABLE refund DROP COLUMN merchant_id`);
    await q.query(`ALTER TABLE idempotency_key DROP CONSTRAINT idempotency_key_payment_merchant_fkey, DROP CONSTRAINT idempotency_key_pkey, ADD PRIMARY KEY (key)`);
    await q.query(`ALTER TABLE idempotency_key DROP COLUMN merchant_id`);
    await q.query(`ALTER TABLE payment DROP CONSTRAINT payment_id_merchant_key, DROP CONSTRAINT payment_merchant_order_key, ADD CONSTRAINT payment_order_id_key UNIQUE (order_id)`);
  }
}
