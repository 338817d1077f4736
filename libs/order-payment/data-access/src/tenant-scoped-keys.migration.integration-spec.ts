import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { IdempotencyKeyRepository } from './idempotency-key.repository';
import { MerchantCopy1765510000000 } from './merchant-copy.migration';
import { CardPayments1764059000000, ORDER_PAYMENT_MIGRATIONS, OrderPaymentTables1764051000000, ShopperSignals1764064100000 } from './order-payment-tables.migration';
import { PaymentRepository } from './payment.repository';
import { RefundTables1764056000000 } from './refund-tables.migration';
import { RefundRepository } from './refund.repository';

describe('the tenant-scoped keys migration over existing data', () => {
  const schema = uniqueId('op_mig_');
  const url = testDatabaseUrl();
  const paymentOld = randomUUID();
  const refundOld = randomUUID();
  let ds: DataSource;

  beforeAll(async () => {
    // the database before order ids and keys were per merchant: m-1's payment of o-1 with key k-1, refunded with key rk-1
    const before = await openDatabase({ url, schema, migrations: [OrderPaymentTables1764051000000, RefundTables1764056000000, CardPayments1764059000000, ShopperSignals1764064100000, MerchantCopy1765510000000] });
    await before.query(
      `INSERT INTO payment (id, order_id, merchant_id, user_id, amount_minor, currency, subject, status, channel, channel_trade_no) VALUES ($1, 'o-1', 'm-1', 'u-1', 1000, 'CNY', 's', 'SUCCEEDED', 'alipay', 'T1')`,
      [paymentOld],
    );
    await before.query(`INSERT INTO idempotency_key (key, request_hash, payment_id) VALUES ('k-1', 'h', $1)`, [paymentOld]);
    await before.query(`INSERT INTO refund (id, payment_id, amount_minor, currency, status, idempotency_key, request_hash) VALUES ($1, $2, 100, 'CNY', 'REQUESTED', 'rk-1', 'h')`, [refundOld, paymentOld]);
    await before.destroy();
    ds = await openDatabase({ url, schema, migrations: ORDER_PAYMENT_MIGRATIONS });
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(url, [schema]);
  });

  it("gives the existing keys and refunds their payment's merchant", async () => {
    expect(await new IdempotencyKeyRepository().find(ds.manager, 'm-1', 'k-1')).toEqual({ requestHash: 'h', paymentId: paymentOld });
    expect(await new IdempotencyKeyRepository().find(ds.manager, 'm-2', 'k-1')).toBeUndefined();
    expect(await new RefundRepository().findByKey(ds.manager, 'm-1', 'rk-1')).toMatchObject({ id: refundOld, merchantId: 'm-1' });
  });

  it('lets another merchant use the same order id and keys', async () => {
    const payments = new PaymentRepository();
    const { payment, created } = await payments.insertIfAbsent(
      ds.manager,
      { id: randomUUID(), orderId: 'o-1', merchantId: 'm-2', userId: 'u-2', amountMinor: 2000n, currency: 'CNY', requestedChannel: null, cardToken: null, deviceId: null, ipAddress: null, subject: 's' },
      undefined,
    );
    expect([created, payment.merchantId]).toEqual([true, 'm-2']);
    expect(await new IdempotencyKeyRepository().claim(ds.manager, 'm-2', 'k-1', 'h2', payment.id)).toBe(true);
    const refund = await new RefundRepository().insert(ds.manager, { id: randomUUID(), paymentId: payment.id, merchantId: 'm-2', amountMinor: 1n, currency: 'CNY', reason: null, idempotencyKey: 'rk-1', requestHash: 'h2' });
    expect(refund?.merchantId).toBe('m-2');
    // m-1's order still has its one payment
    expect((await payments.findByOrderId(ds.manager, 'm-1', 'o-1'))?.id).toBe(paymentOld);
  });

  it("refuses a key or a refund pointing at another merchant's payment", async () => {
    await expect(new IdempotencyKeyRepository().claim(ds.manager, 'm-3', 'k-x', 'h', paymentOld)).rejects.toThrow(/idempotency_key_payment_merchant_fkey/);
    await expect(
      new RefundRepository().insert(ds.manager, { id: randomUUID(), paymentId: paymentOld, merchantId: 'm-3', amountMinor: 1n, currency: 'CNY', reason: null, idempotencyKey: 'rk-x', requestHash: 'h' }),
    ).rejects.toThrow(/refund_payment_merchant_fkey/);
  });
});
