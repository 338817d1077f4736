import type { MerchantSnapshot, MerchantStatus } from '@paystream/contracts';
import { validateSettlementTerms, type SettlementSchedule, type SettlementTerms } from '@paystream/settlement/domain';
import { ALL_MERCHANTS, scopedMerchantId, type TenantScope } from '@paystream/shared/auth';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

export interface MerchantProfile {
  merchantId: string;
  /** The merchant registry's version this copy was taken at (0: terms set here before the registry). */
  version: number;
  status: MerchantStatus;
  terms: SettlementTerms;
  /** The bank and name of the payout account in effect (null on rows from before the registry). */
  payoutBankCode: string | null;
  payoutAccountName: string | null;
}

interface Row {
  merchant_id: string;
  version: number;
  status: MerchantStatus;
  schedule: SettlementSchedule;
  n_days: number;
  fee_bps: number;
  fee_fixed_minor: string;
  fee_min_minor: string;
  fee_max_minor: string | null;
  cutoff_time: string;
  payout_min_minor: string;
  reserve_bps: number;
  reserve_hold_days: number;
  payout_account_no: string | null;
  payout_bank_code: string | null;
  payout_account_name: string | null;
}

function toProfile(r: Row): MerchantProfile {
  const terms: SettlementTerms = {
    schedule: r.schedule,
    nDays: r.n_days,
    cutoffTime: r.cutoff_time,
    payoutMinMinor: toBigInt(r.payout_min_minor),
    reserveBps: BigInt(r.reserve_bps),
    reserveHoldDays: r.reserve_hold_days,
    feePlan: { rateBps: BigInt(r.fee_bps), fixedMinor: toBigInt(r.fee_fixed_minor), minMinor: toBigInt(r.fee_min_minor), maxMinor: r.fee_max_minor === null ? null : toBigInt(r.fee_max_minor), rounding: 'half-up' },
    payoutChannel: 'bank_transfer',
    payoutAccountNo: r.payout_account_no,
  };
  // the table's CHECKs hold the same limits; a row that passes them and fails these is a bug worth stopping on
  const invalid = validateSettlementTerms(terms);
  if (invalid) throw new Error(`merchant ${r.merchant_id} has invalid settlement terms: ${invalid.field}: ${invalid.message}`);
  return { merchantId: r.merchant_id, version: r.version, status: r.status, terms, payoutBankCode: r.payout_bank_code, payoutAccountName: r.payout_account_name };
}

/** The settlement terms a registry snapshot carries, in settlement's types. */
export function termsOfSnapshot(s: MerchantSnapshot): SettlementTerms {
  const t = s.terms;
  return {
    schedule: t.schedule,
    nDays: t.nDays,
    cutoffTime: t.cutoffTime,
    payoutMinMinor: BigInt(t.payoutMinMinor),
    reserveBps: BigInt(t.reserveBps),
    reserveHoldDays: t.reserveHoldDays,
    feePlan: { rateBps: BigInt(t.feePlan.rateBps), fixedMinor: BigInt(t.feePlan.fixedMinor), minMinor: BigInt(t.feePlan.minMinor), maxMinor: t.feePlan.maxMinor === null ? null : BigInt(t.feePlan.maxMinor), rounding: 'half-up' },
    payoutChannel: 'bank_transfer',
    payoutAccountNo: t.payoutAccount.accountNo,
  };
}

/**
 * Each merchant's settlement terms: settlement's copy of the merchant registry, written only from
 * its snapshots (the highest version wins). A merchant the copy does not have is not assumed.
 */
export class MerchantProfileRepository {
  /** The merchant's copy, for settlement's own processes (every merchant's). */
  async find(tx: EntityManager, merchantId: string): Promise<MerchantProfile | undefined> {
    return this.findInScope(tx, ALL_MERCHANTS, merchantId);
  }

  /** The merchant's copy as a request in the scope may read it: a merchant out of scope is not found, as a missing one. */
  async findInScope(tx: EntityManager, scope: TenantScope, merchantId: string): Promise<MerchantProfile | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM merchant_settlement_profile WHERE merchant_id = $1 AND ($2::text IS NULL OR merchant_id = $2)`, [
      merchantId,
      scopedMerchantId(scope),
    ]);
    return rows[0] ? toProfile(rows[0]) : undefined;
  }

  /**
   * Copies a registry snapshot (validated by the caller) unless the copy is at this version or a
   * later one already; whether it changed the copy.
   */
  async applySnapshot(tx: EntityManager, s: MerchantSnapshot, t: SettlementTerms): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO merchant_settlement_profile
         (merchant_id, version, status, schedule, n_days, fee_bps, fee_fixed_minor, fee_min_minor, fee_max_minor, cutoff_time, payout_min_minor,
          reserve_bps, reserve_hold_days, payout_account_no, payout_bank_code, payout_account_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (merchant_id) DO UPDATE SET
         version = EXCLUDED.version, status = EXCLUDED.status, schedule = EXCLUDED.schedule, n_days = EXCLUDED.n_days, fee_bps = EXCLUDED.fee_bps,
         fee_fixed_minor = EXCLUDED.fee_fixed_minor, fee_min_minor = EXCLUDED.fee_min_minor, fee_max_minor = EXCLUDED.fee_max_minor,
         cutoff_time = EXCLUDED.cutoff_time, payout_min_minor = EXCLUDED.payout_min_minor, reserve_bps = EXCLUDED.reserve_bps,
         reserve_hold_days = EXCLUDED.reserve_hold_days, payout_account_no = EXCLUDED.payout_account_no,
         payout_bank_code = EXCLUDED.payout_bank_code, payout_account_name = EXCLUDED.payout_account_name
       WHERE merchant_settlement_profile.version < EXCLUDED.version
       RETURNING merchant_id`,
      [
        s.merchantId,
        s.version,
        s.status,
        t.schedule,
        t.nDays,
        Number(t.feePlan.rateBps),
        t.feePlan.fixedMinor.toString(),
        t.feePlan.minMinor.toString(),
        t.feePlan.maxMinor === null ? null : t.feePlan.maxMinor.toString(),
        t.cutoffTime,
        t.payoutMinMinor.toString(),
        Number(t.reserveBps),
        t.reserveHoldDays,
        s.terms.payoutAccount.accountNo,
        s.terms.payoutAccount.bankCode,
        s.terms.payoutAccount.accountName,
      ],
    );
    return rows.length === 1;
  }

  /** Keeps a payment of a merchant the copy does not have yet (once per payment); whether it was parked now. */
  async park(tx: EntityManager, merchantId: string, paymentId: string, payload: unknown, traceparent: string | undefined): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO payment_awaiting_merchant (payment_id, merchant_id, payload, traceparent) VALUES ($1, $2, $3, $4) ON CONFLICT (payment_id) DO NOTHING RETURNING payment_id`,
      [paymentId, merchantId, JSON.stringify(payload), traceparent ?? null],
    );
    return rows.length === 1;
  }

  /** Takes the payments parked for a merchant (removed in the caller's transaction), oldest first. */
  async takeParked(tx: EntityManager, merchantId: string): Promise<{ payload: unknown; traceparent: string | undefined }[]> {
    const result: unknown = await tx.query(
      `DELETE FROM payment_awaiting_merchant WHERE payment_id IN (SELECT payment_id FROM payment_awaiting_merchant WHERE merchant_id = $1 FOR UPDATE) RETURNING payload, traceparent, parked_at`,
      [merchantId],
    );
    // TypeORM's postgres driver answers a DELETE as [rows, rowCount]
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as { payload: unknown; traceparent: string | null; parked_at: Date }[];
    return rows.sort((a, b) => a.parked_at.getTime() - b.parked_at.getTime()).map((r) => ({ payload: r.payload, traceparent: r.traceparent ?? undefined }));
  }

  /** How many payments wait for their merchant's registration (a number that should stay near zero). */
  async parkedCount(tx: EntityManager): Promise<number> {
    const rows: { n: number }[] = await tx.query(`SELECT count(*)::int AS n FROM payment_awaiting_merchant`);
    return rows[0]?.n ?? 0;
  }
}
