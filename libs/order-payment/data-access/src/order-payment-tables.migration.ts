import { MerchantCopy1765510000000 } from './merchant-copy.migration';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { RefundTables1764056000000 } from './refund-tables.migration';
import { TenantScopedKeys1765600000000 } from './tenant-scoped-keys.migration';

/** Payments (one per order), their status history and the idempotency keys of the write API. */
export class OrderPaymentTables1764051000000 implements MigrationInterface {
  name = 'OrderPaymentTables1764051000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment (
        id                UUID PRIMARY KEY,
        order_id          TEXT NOT NULL UNIQUE,
        merchant_id       TEXT NOT NULL,
        user_id           TEXT NOT NULL,
        amount_minor      BIGINT NOT NULL CHECK (amount_minor > 0),
        currency          CHAR(3) NOT NULL,
        requested_channel TEXT,
        channel           TEXT,
        subject           TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('PENDING_RISK','IN_REVIEW','AUTHORIZING','UNKNOWN','SUCCEEDED',
                                                         'FAILED','REJECTED','PARTIALLY_REFUNDED','REFUNDED')),
        channel_trade_no  TEXT,
        failure_code      TEXT,
        failure_message   TEXT,
        failure_retryable BOOLEAN,
        traceparent       TEXT,
        version           INT NOT NULL DEFAULT 1,
        created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX payment_status_idx ON payment (status)`);
    await q.query(`
      CREATE TABLE payment_status_history (
        id          BIGSERIAL PRIMARY KEY,
        payment_id  UUID NOT NULL REFERENCES payment (id),
        from_status TEXT,
        to_status   TEXT NOT NULL,
        reason      TEXT NOT NULL,
        at          TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX payment_status_history_payment_idx ON payment_status_history (payment_id, id)`);
    await q.query(`
      CREATE TABLE idempotency_key (
        key          TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        payment_id   UUID NOT NULL REFERENCES payment (id),
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_key`);
    await q.query(`DROP TABLE payment_status_history`);
    await q.query(`DROP TABLE payment`);
  }
}

/** Card payments: the token (never the card number) rides with the payment to the channel. */
export class CardPayments1764059000000 implements MigrationInterface {
  name = 'CardPayments1764059000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment ADD COLUMN card_token TEXT CHECK (card_token ~ '^tok_[0-9a-f]{32}$')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment DROP COLUMN card_token`);
  }
}

/** Shopper signals risk counts attempts by (validated at the edge; kept for audit and re-asking risk). */
export class ShopperSignals1764064100000 implements MigrationInterface {
  name = 'ShopperSignals1764064100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment ADD COLUMN device_id TEXT CHECK (length(device_id) BETWEEN 1 AND 128), ADD COLUMN ip_address TEXT CHECK (length(ip_address) BETWEEN 2 AND 45)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE payment DROP COLUMN device_id, DROP COLUMN ip_address`);
  }
}

export const ORDER_PAYMENT_MIGRATIONS = [OrderPaymentTables1764051000000, RefundTables1764056000000, CardPayments1764059000000, ShopperSignals1764064100000, MerchantCopy1765510000000, TenantScopedKeys1765600000000];
