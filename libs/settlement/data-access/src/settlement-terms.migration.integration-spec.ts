import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ALL_MERCHANTS } from '@paystream/shared/auth';
import { inTransaction, openDatabase } from '@paystream/shared/persistence';
import { dropSchemas, testDatabaseUrl, uniqueId } from '@paystream/shared/testing';
import { CalendarOverrideAudit1765100000000 } from './calendar-override-audit.migration';
import { BusinessCalendarRepository } from './business-calendar.repository';
import { LedgerRepository } from './ledger.repository';
import { MerchantProfileRepository } from './merchant-profile.repository';
import { SettlementBatchRepository } from './settlement-batch.repository';
import { SettlementItemRepository } from './settlement-item.repository';
import { SettlementTables1764053000000 } from './settlement-tables.migration';
import { SettlementTerms1764950000000 } from './settlement-terms.migration';

describe('the settlement terms migration over existing data', () => {
  const schema = uniqueId('stl_mig_');
  const url = testDatabaseUrl();
  const batchId = randomUUID();
  const failedId = randomUUID();
  const paymentOld = randomUUID();
  const paymentFailed = randomUUID();
  let ds: DataSource;

  beforeAll(async () => {
    // the database as the first settlement release left it: a payment booked, settled and paid out, and a T+1 profile
    const before = await openDatabase({ url, schema, migrations: [SettlementTables1764053000000] });
    // m-old (real time): paid 10000, settled and paid out 9940, then 1000 refunded (never clawed back then);
    // m-t1 (T+1): paid 5000, never settled (there were no runs); m-f: paid 2000, its payout FAILED
    await before.transaction(async (tx) => {
      const tx1 = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await tx.query(`INSERT INTO merchant_settlement_profile (merchant_id, schedule, n_days, fee_bps) VALUES ('m-t1', 't_plus_n', 1, 60)`);
      await tx.query(
        `INSERT INTO ledger_account (id, kind, currency) VALUES ('shopper_funds_in_transit', 'shopper_funds_in_transit', 'CNY'), ('platform_fee_revenue', 'platform_fee_revenue', 'CNY'),
           ('bank_settlement_account', 'bank_settlement_account', 'CNY'), ('merchant_payable:m-old', 'merchant_payable', 'CNY'), ('merchant_payable:m-t1', 'merchant_payable', 'CNY'),
           ('merchant_payable:m-f', 'merchant_payable', 'CNY')`,
      );
      await tx.query(
        `INSERT INTO ledger_transaction (id, kind, reference) VALUES ($1, 'payment', $6), ($2, 'payout', $7), ($3, 'refund', 'refund:r-old'), ($4, 'payment', 'payment:p-t1'), ($5, 'payment', $8)`,
        [...tx1, `payment:${paymentOld}`, `payout:${batchId}`, `payment:${paymentFailed}`],
      );
      await tx.query(
        `INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency) VALUES
           ($1, 'shopper_funds_in_transit', 10000, 'CNY'), ($1, 'merchant_payable:m-old', -9940, 'CNY'), ($1, 'platform_fee_revenue', -60, 'CNY'),
           ($2, 'merchant_payable:m-old', 9940, 'CNY'), ($2, 'bank_settlement_account', -9940, 'CNY'),
           ($3, 'merchant_payable:m-old', 1000, 'CNY'), ($3, 'shopper_funds_in_transit', -1000, 'CNY'),
           ($4, 'shopper_funds_in_transit', 5000, 'CNY'), ($4, 'merchant_payable:m-t1', -4970, 'CNY'), ($4, 'platform_fee_revenue', -30, 'CNY'),
           ($5, 'shopper_funds_in_transit', 2000, 'CNY'), ($5, 'merchant_payable:m-f', -1988, 'CNY'), ($5, 'platform_fee_revenue', -12, 'CNY')`,
        tx1,
      );
      await tx.query(
        `INSERT INTO settlement_batch (id, merchant_id, currency, gross_minor, fee_minor, net_minor, payment_count, period_start, period_end, status, payout_ref)
         VALUES ($1, 'm-old', 'CNY', 10000, 60, 9940, 1, now(), now(), 'COMPLETED', 'BANK-OLD'), ($2, 'm-f', 'CNY', 2000, 12, 1988, 1, now(), now(), 'FAILED', NULL)`,
        [batchId, failedId],
      );
      await tx.query(`INSERT INTO settlement_batch_payment (batch_id, payment_id, gross_minor, fee_minor) VALUES ($1, $2, 10000, 60), ($3, $4, 2000, 12)`, [batchId, paymentOld, failedId, paymentFailed]);
    });
    await before.destroy();
    ds = await openDatabase({ url, schema, migrations: [SettlementTables1764053000000, SettlementTerms1764950000000, CalendarOverrideAudit1765100000000] });
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropSchemas(url, [schema]);
  });

  it('keeps the old rows valid: cached balances filled in from the entries, the old settlement readable, the old profile with neutral terms', async () => {
    const tx = ds.manager;
    const ledger = new LedgerRepository();
    expect(await ledger.check(tx)).toMatchObject({ balanced: true, cachedBalancesDrifted: [], transactions: 5, entries: 13 });
    expect(await ledger.balance(tx, 'merchant_payable:m-old')).toBe(1000n);
    expect(await new SettlementBatchRepository().findById(tx, ALL_MERCHANTS, batchId)).toMatchObject({ netMinor: 9940n, reserveHeldMinor: 0n, carriedMinor: 0n, inFlightBooked: false, status: 'COMPLETED' });
    expect((await new MerchantProfileRepository().find(tx, 'm-t1'))?.terms).toMatchObject({ schedule: 't_plus_n', nDays: 1, cutoffTime: '23:00', reserveBps: 0n, payoutMinMinor: 0n, feePlan: { rateBps: 60n, fixedMinor: 0n, minMinor: 0n, maxMinor: null } });
  });

  it('turns what was booked and never settled into settlement items that add up to what each merchant is owed', async () => {
    const items = new SettlementItemRepository();
    const ledger = new LedgerRepository();
    const rows = async (m: string) => (await items.unsettled(ds.manager, m, 'CNY')).map((i) => [i.kind, i.reference, i.amountMinor]);
    expect(await rows('m-old')).toEqual([['refund', 'r-old', -1000n]]);
    expect(await rows('m-t1')).toEqual([['payment', 'p-t1', 4970n]]);
    expect(await rows('m-f')).toEqual([['payout_reversal', failedId, 1988n]]);
    for (const m of ['m-old', 'm-t1', 'm-f']) {
      const owed = -(await ledger.balance(ds.manager, `merchant_payable:${m}`));
      expect((await items.unsettled(ds.manager, m, 'CNY')).reduce((a, i) => a + i.amountMinor, 0n)).toBe(owed);
    }
    expect((await items.unsettled(ds.manager, 'm-t1', 'CNY'))[0]).toMatchObject({ grossMinor: 5000n, feeMinor: 30n });
  });

  it('seeds the demo merchants: real time and T+N, one with a fee plan, one with a reserve', async () => {
    const profiles = new MerchantProfileRepository();
    expect((await profiles.find(ds.manager, 'merchant-0'))?.terms).toMatchObject({ schedule: 'realtime' });
    expect((await profiles.find(ds.manager, 'merchant-1'))?.terms.feePlan).toEqual({ rateBps: 80n, fixedMinor: 30n, minMinor: 50n, maxMinor: 5000n, rounding: 'half-up' });
    expect((await profiles.find(ds.manager, 'merchant-2'))?.terms).toMatchObject({ schedule: 't_plus_n', nDays: 1, cutoffTime: '22:00' });
    expect((await profiles.find(ds.manager, 'merchant-3'))?.terms).toMatchObject({ reserveBps: 1000n, reserveHoldDays: 30, payoutMinMinor: 10000n });
  });

  it('refuses terms the limits forbid, and an entry in another currency than its account', async () => {
    await expect(ds.query(`INSERT INTO merchant_settlement_profile (merchant_id, reserve_bps, reserve_hold_days) VALUES ('m-bad', 500, 0)`)).rejects.toThrow(/check constraint/);
    await expect(ds.query(`INSERT INTO merchant_settlement_profile (merchant_id, cutoff_time) VALUES ('m-bad', '25:00')`)).rejects.toThrow(/check constraint/);
    await expect(ds.query(`INSERT INTO merchant_settlement_profile (merchant_id, fee_min_minor, fee_max_minor) VALUES ('m-bad', 100, 50)`)).rejects.toThrow(/check constraint/);
    await expect(
      inTransaction(ds, async (tx) => {
        const id = randomUUID();
        await tx.query(`INSERT INTO ledger_transaction (id, kind, reference) VALUES ($1, 'test', $2)`, [id, id]);
        await tx.query(`INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency) VALUES ($1, 'platform_fee_revenue', 1, 'USD'), ($1, 'bank_settlement_account', -1, 'USD')`, [id]);
      }),
    ).rejects.toThrow(/another currency/);
  });

  it('lays calendar overrides over the shipped calendar', async () => {
    const calendars = new BusinessCalendarRepository();
    expect(await calendars.override(ds.manager, '2026-10-08', false, 'test: bank closed')).toMatchObject({ date: '2026-10-08', businessDay: false, reason: 'test: bank closed', by: 'system' });
    const cal = await calendars.load(ds.manager);
    expect(cal.isBusinessDay('2026-10-08')).toBe(false);
    expect(cal.addBusinessDays('2026-09-30', 1)).toBe('2026-10-09');
  });

  // last: it takes the schema back to the first release
  it('rolls back over settlements made under the new terms (a reserve held, a payout carried), keeping them', async () => {
    const withReserve = randomUUID();
    await ds.query(
      `INSERT INTO settlement_batch (id, merchant_id, currency, gross_minor, fee_minor, refund_minor, reserve_held_minor, carried_minor, net_minor, payment_count, period_start, period_end, in_flight_booked)
       VALUES ($1, 'm-res', 'CNY', 10000, 60, 0, 994, 500, 9446, 1, now(), now(), true)`,
      [withReserve],
    );
    const runner = ds.createQueryRunner();
    try {
      await new CalendarOverrideAudit1765100000000().down(runner);
      await new SettlementTerms1764950000000().down(runner);
    } finally {
      await runner.release();
    }
    expect(await ds.query(`SELECT net_minor::text AS net FROM settlement_batch WHERE id = $1`, [withReserve])).toEqual([{ net: '9446' }]);
    // what the first release writes is still checked
    await expect(
      ds.query(`INSERT INTO settlement_batch (id, merchant_id, currency, gross_minor, fee_minor, net_minor, payment_count, period_start, period_end) VALUES ($1, 'm-x', 'CNY', 100, 1, 100, 1, now(), now())`, [randomUUID()]),
    ).rejects.toThrow(/check constraint/);
  });
});
