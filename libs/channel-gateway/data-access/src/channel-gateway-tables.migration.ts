import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CardTokenOwner1766000000000 } from './card-token-owner.migration';
import { ChannelNotifications1764058000000 } from './channel-notifications.migration';
import { ChannelReconciliation1764070000000 } from './channel-reconciliation.migration';
import { ChannelRefundUnknown1764080000000 } from './channel-refund-unknown.migration';
import { ChannelRefundSending1764090000000 } from './channel-refund-sending.migration';
import { ChannelRefunds1764057000000 } from './channel-refunds.migration';
import { ChannelRouting1764055000000 } from './channel-routing.migration';

/** One channel transaction per payment: the charge at the channel and what the channel said. */
export class ChannelGatewayTables1764054000000 implements MigrationInterface {
  name = 'ChannelGatewayTables1764054000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE channel_transaction (
        payment_id       UUID PRIMARY KEY,
        order_id         TEXT NOT NULL,
        merchant_id      TEXT NOT NULL,
        channel          TEXT NOT NULL CHECK (channel IN ('alipay', 'wechatpay', 'unionpay')),
        amount_minor     BIGINT NOT NULL CHECK (amount_minor > 0),
        currency         CHAR(3) NOT NULL,
        status           TEXT NOT NULL CHECK (status IN ('SUCCEEDED', 'FAILED', 'UNKNOWN')),
        channel_trade_no TEXT,
        failure_code     TEXT,
        failure_message  TEXT,
        query_attempts   INT NOT NULL DEFAULT 0,
        created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
        CHECK (status <> 'SUCCEEDED' OR channel_trade_no IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX channel_transaction_unknown_idx ON channel_transaction (updated_at) WHERE status = 'UNKNOWN'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE channel_transaction`);
  }
}

export const CHANNEL_GATEWAY_MIGRATIONS = [ChannelGatewayTables1764054000000, ChannelRouting1764055000000, ChannelRefunds1764057000000, ChannelNotifications1764058000000, ChannelReconciliation1764070000000, ChannelRefundUnknown1764080000000, ChannelRefundSending1764090000000, CardTokenOwner1766000000000];
