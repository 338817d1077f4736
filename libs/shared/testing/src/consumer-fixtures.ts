import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { PaymentRequested } from '@paystream/contracts';

/**
 * The table a test consumer writes one row to per event it handles (`INSERT INTO effect (order_id, event_id)`),
 * so a spec can count how often an event took effect.
 */
export class EffectTable1764050000001 implements MigrationInterface {
  name = 'EffectTable1764050000001';
  async up(q: QueryRunner) {
    await q.query(`CREATE TABLE effect (order_id TEXT NOT NULL, event_id TEXT NOT NULL)`);
  }
  async down(q: QueryRunner) {
    await q.query(`DROP TABLE effect`);
  }
}

/** A valid payment.requested for an order (10.00 CNY from merchant m-1), to feed a test consumer. */
export const paymentRequestedFixture = (orderId: string): PaymentRequested => ({
  orderId,
  merchantId: 'm-1',
  userId: 'u-1',
  amountMinor: '1000',
  currency: 'CNY',
  subject: 'test',
  requestedAt: new Date().toISOString(),
});
