import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource, inTransaction, openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { LimitReservationRepository } from './limit-reservation.repository';
import { RISK_MIGRATIONS } from './risk-tables.migration';
import { RiskShopperTenant1766000200000 } from './shopper-tenant.migration';

/** Noon in Beijing on the day the spec's reservations count in, and a day earlier that year. */
const AT = new Date('2025-11-25T04:00:00Z');
const DAY = '2025-11-25';
const EARLIER = '2025-03-02';
const CARD = `tok_${'c'.repeat(32)}`;

describe('the shopper tenant migration over existing limits', () => {
  const url = testDatabaseUrl();
  const before = RISK_MIGRATIONS.filter((m) => m !== RiskShopperTenant1766000200000);
  const limits = new LimitReservationRepository();
  const schemas: string[] = [];

  /** A database as the migrations before this one left it, filled by `fill`. */
  const oldDatabase = async (fill: (old: DataSource) => Promise<void>) => {
    const schema = uniqueId('risk_shopmig_');
    schemas.push(schema);
    const old = await openDatabase({ url, schema, migrations: before });
    try {
      await fill(old);
    } finally {
      await old.destroy();
    }
    return schema;
  };
  const decided = (db: DataSource, paymentId: string, merchantId: string, userId: string) =>
    db.query(`INSERT INTO risk_decision (payment_id, order_id, merchant_id, user_id, amount_minor, currency, decision, score, reasons) VALUES ($1, $2, $3, $4, 100, 'CNY', 'approve', 0, '[]')`, [
      paymentId,
      randomUUID(),
      merchantId,
      userId,
    ]);
  /** A reservation as the code before wrote it: merchant_id was the merchant whose cap it held, if any. */
  const reserved = (db: DataSource, r: { paymentId: string; merchantId: string | null; userId: string; cardToken?: string; amountMinor: number; day: string; status: string }) =>
    db.query(`INSERT INTO limit_reservation (payment_id, merchant_id, user_id, card_token, amount_minor, currency, day, year, status) VALUES ($1, $2, $3, $4, $5, 'CNY', $6, $7, $8)`, [
      r.paymentId,
      r.merchantId,
      r.userId,
      r.cardToken ?? null,
      r.amountMinor,
      r.day,
      Number(r.day.slice(0, 4)),
      r.status,
    ]);
  const counter = (db: DataSource, scope: string, subjectId: string, kind: string, key: string, usedMinor: number) =>
    db.query(`INSERT INTO limit_usage (scope, subject_id, period_kind, period_key, used_minor) VALUES ($1, $2, $3, $4, $5)`, [scope, subjectId, kind, key, usedMinor]);

  afterAll(async () => {
    await dropSchemas(url, schemas);
  });

  describe('a user id paid at two merchants, with reservations from before the merchant caps and a placeholder', () => {
    const ids = { capped: randomUUID(), otherMerchant: randomUUID(), beforeCaps: randomUUID(), placeholder: randomUUID(), releasedBeforeCaps: randomUUID() };
    let ds: DataSource;

    beforeAll(async () => {
      const schema = await oldDatabase(async (old) => {
        // u-1 at m-1: CNY 10 held today (merchant cap and card counted) and CNY 5 committed in March (before the caps: no merchant);
        // u-1 at m-2: CNY 20 committed today; a released one of March; a failure's placeholder with no decision at all
        await decided(old, ids.capped, 'm-1', 'u-1');
        await decided(old, ids.otherMerchant, 'm-2', 'u-1');
        await decided(old, ids.beforeCaps, 'm-1', 'u-1');
        await decided(old, ids.releasedBeforeCaps, 'm-2', 'u-1');
        await reserved(old, { paymentId: ids.capped, merchantId: 'm-1', userId: 'u-1', cardToken: CARD, amountMinor: 1000, day: DAY, status: 'RESERVED' });
        await reserved(old, { paymentId: ids.otherMerchant, merchantId: 'm-2', userId: 'u-1', amountMinor: 2000, day: DAY, status: 'COMMITTED' });
        await reserved(old, { paymentId: ids.beforeCaps, merchantId: null, userId: 'u-1', amountMinor: 500, day: EARLIER, status: 'COMMITTED' });
        await reserved(old, { paymentId: ids.releasedBeforeCaps, merchantId: null, userId: 'u-1', amountMinor: 700, day: EARLIER, status: 'RELEASED' });
        await reserved(old, { paymentId: ids.placeholder, merchantId: null, userId: 'u-1', amountMinor: 900, day: DAY, status: 'RELEASED' });
        // the counters as the code before kept them: one per user id across merchants
        await counter(old, 'user', 'u-1', 'day', DAY, 3000);
        await counter(old, 'user', 'u-1', 'day', EARLIER, 500);
        await counter(old, 'user', 'u-1', 'year', '2025', 3500);
        await counter(old, 'merchant', 'm-1', 'day', DAY, 1000);
        await counter(old, 'merchant', 'm-2', 'day', DAY, 2000);
        await counter(old, 'card', CARD, 'day', DAY, 1000);
      });
      ds = await openDatabase({ url, schema, migrations: RISK_MIGRATIONS });
    });

    afterAll(async () => {
      await ds?.destroy();
    });

    const counters = () => ds.query(`SELECT scope, merchant_id, subject_id, period_kind, period_key, used_minor::int AS used FROM limit_usage ORDER BY scope, subject_id, merchant_id, period_kind, period_key`);

    it('splits the user id\'s counters into each merchant\'s user\'s, from the reservations holding them; the caps stay as they were', async () => {
      expect(await counters()).toEqual([
        { scope: 'card', merchant_id: null, subject_id: CARD, period_kind: 'day', period_key: DAY, used: 1000 },
        { scope: 'merchant', merchant_id: null, subject_id: 'm-1', period_kind: 'day', period_key: DAY, used: 1000 },
        { scope: 'merchant', merchant_id: null, subject_id: 'm-2', period_kind: 'day', period_key: DAY, used: 2000 },
        { scope: 'user', merchant_id: 'm-1', subject_id: 'u-1', period_kind: 'day', period_key: EARLIER, used: 500 },
        { scope: 'user', merchant_id: 'm-1', subject_id: 'u-1', period_kind: 'day', period_key: DAY, used: 1000 },
        { scope: 'user', merchant_id: 'm-1', subject_id: 'u-1', period_kind: 'year', period_key: '2025', used: 1500 },
        { scope: 'user', merchant_id: 'm-2', subject_id: 'u-1', period_kind: 'day', period_key: DAY, used: 2000 },
        { scope: 'user', merchant_id: 'm-2', subject_id: 'u-1', period_kind: 'year', period_key: '2025', used: 2000 },
      ]);
      expect(await limits.usage(ds.manager, 'm-1', 'u-1', AT)).toMatchObject({ dailyUsedMinor: 1000n, yearlyUsedMinor: 1500n });
      expect(await limits.usage(ds.manager, 'm-2', 'u-1', AT)).toMatchObject({ dailyUsedMinor: 2000n, yearlyUsedMinor: 2000n });
    });

    it('names every reservation\'s merchant from its payment\'s decision; one from before the caps holds no merchant cap, a placeholder with no decision no merchant', async () => {
      const rows = await ds.query(`SELECT payment_id, merchant_id, holds_merchant_cap FROM limit_reservation`);
      const of = (paymentId: string) => rows.find((r: { payment_id: string }) => r.payment_id === paymentId);
      expect(of(ids.capped)).toMatchObject({ merchant_id: 'm-1', holds_merchant_cap: true });
      expect(of(ids.otherMerchant)).toMatchObject({ merchant_id: 'm-2', holds_merchant_cap: true });
      expect(of(ids.beforeCaps)).toMatchObject({ merchant_id: 'm-1', holds_merchant_cap: false });
      expect(of(ids.releasedBeforeCaps)).toMatchObject({ merchant_id: 'm-2', holds_merchant_cap: false });
      expect(of(ids.placeholder)).toMatchObject({ merchant_id: null, holds_merchant_cap: false });
      // a reservation holding a limit must name its merchant from now on
      await expect(ds.query(`UPDATE limit_reservation SET merchant_id = NULL WHERE payment_id = $1`, [ids.capped])).rejects.toThrow(/limit_reservation_holding_names_merchant/);
    });

    it('releases an old reservation to its merchant\'s user only (never to a merchant cap it did not hold), and a new one to all it holds', async () => {
      // the March refund of the reservation from before the caps: m-1's cap today and m-2's user are untouched
      expect(await inTransaction(ds, (t) => limits.release(t, ids.beforeCaps))).toBe(true);
      expect(await limits.usage(ds.manager, 'm-1', 'u-1', AT)).toMatchObject({ dailyUsedMinor: 1000n, yearlyUsedMinor: 1000n });
      expect(await limits.usage(ds.manager, 'm-2', 'u-1', AT)).toMatchObject({ yearlyUsedMinor: 2000n });
      expect(await limits.capUsage(ds.manager, 'merchant', 'm-1', AT)).toBe(1000n);
      expect(await inTransaction(ds, (t) => limits.release(t, ids.capped))).toBe(true);
      expect(await limits.usage(ds.manager, 'm-1', 'u-1', AT)).toMatchObject({ dailyUsedMinor: 0n, yearlyUsedMinor: 0n });
      expect([await limits.capUsage(ds.manager, 'merchant', 'm-1', AT), await limits.capUsage(ds.manager, 'card', CARD, AT)]).toEqual([0n, 0n]);
      // m-2's user still has its CNY 20 today: CNY 5,000 a day leaves 4,980 for it, and the whole day for m-1's user
      const reserve = (merchantId: string, amountMinor: bigint) =>
        inTransaction(ds, (t) => limits.reserve(t, { paymentId: randomUUID(), merchantId, userId: 'u-1', amountMinor, currency: 'CNY', at: AT, limits: { dailyMinor: 5_000_00n } }));
      expect(await reserve('m-2', 4_980_01n)).toMatchObject({ ok: false, usedMinor: 2000n });
      expect(await reserve('m-1', 5_000_00n)).toEqual({ ok: true });
    });

    // last: it takes the schema back
    it('rolls back to one counter per user id, the merchants\' added up, and reservations from before the caps without a merchant', async () => {
      const runner = ds.createQueryRunner();
      try {
        await new RiskShopperTenant1766000200000().down(runner);
      } finally {
        await runner.release();
      }
      expect(await ds.query(`SELECT subject_id, period_kind, period_key, used_minor::int AS used FROM limit_usage WHERE scope = 'user' ORDER BY period_kind, period_key`)).toEqual([
        { subject_id: 'u-1', period_kind: 'day', period_key: EARLIER, used: 0 },
        { subject_id: 'u-1', period_kind: 'day', period_key: DAY, used: 5_000_00 + 2000 },
        { subject_id: 'u-1', period_kind: 'year', period_key: '2025', used: 5_000_00 + 2000 },
      ]);
      expect(await ds.query(`SELECT payment_id FROM limit_reservation WHERE merchant_id IS NULL ORDER BY payment_id`)).toEqual(
        [ids.beforeCaps, ids.releasedBeforeCaps, ids.placeholder].sort().map((payment_id) => ({ payment_id })),
      );
      const [pk] = await ds.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'limit_usage'::regclass AND contype = 'p'`);
      expect(pk.def).toBe('PRIMARY KEY (scope, subject_id, period_kind, period_key)');
    });
  });

  it('stops on a reservation holding a limit whose payment has no decision to name its merchant', async () => {
    const orphan = randomUUID();
    const schema = await oldDatabase(async (old) => {
      await reserved(old, { paymentId: orphan, merchantId: null, userId: 'u-9', amountMinor: 100, day: DAY, status: 'COMMITTED' });
      await counter(old, 'user', 'u-9', 'day', DAY, 100);
      await counter(old, 'user', 'u-9', 'year', '2025', 100);
    });
    const ds = createDataSource({ url, schema, migrations: RISK_MIGRATIONS });
    await ds.initialize();
    try {
      await expect(ds.runMigrations({ transaction: 'each' })).rejects.toThrow(new RegExp(`no merchant to count it for .*${orphan}`));
      // nothing of it stays: the counters are still the user id's
      expect(await ds.query(`SELECT subject_id, used_minor::int AS used FROM limit_usage ORDER BY period_kind`)).toEqual([{ subject_id: 'u-9', used: 100 }, { subject_id: 'u-9', used: 100 }]);
      expect(await ds.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'limit_usage' AND column_name = 'merchant_id'`, [schema])).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });
});
