import { validateSettlementTerms, type SettlementSchedule, type SettlementTerms } from '@paystream/settlement/domain';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

export interface MerchantProfile {
  merchantId: string;
  terms: SettlementTerms;
}

interface Row {
  merchant_id: string;
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
  payout_account_no: string;
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
  return { merchantId: r.merchant_id, terms };
}

/**
 * Each merchant's settlement terms (its agreement); a merchant seen for the first time gets the
 * defaults (real time, 0.60 %, no reserve).
 */
export class MerchantProfileRepository {
  async getOrCreate(tx: EntityManager, merchantId: string): Promise<MerchantProfile> {
    await tx.query(`INSERT INTO merchant_settlement_profile (merchant_id) VALUES ($1) ON CONFLICT (merchant_id) DO NOTHING`, [merchantId]);
    const found = await this.find(tx, merchantId);
    if (!found) throw new Error(`merchant profile ${merchantId} vanished`);
    return found;
  }

  async find(tx: EntityManager, merchantId: string): Promise<MerchantProfile | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM merchant_settlement_profile WHERE merchant_id = $1`, [merchantId]);
    return rows[0] ? toProfile(rows[0]) : undefined;
  }

  /** Sets a merchant's terms (validated by the caller), creating the profile if needed. */
  async upsert(tx: EntityManager, merchantId: string, t: SettlementTerms): Promise<MerchantProfile> {
    const rows: Row[] = await tx.query(
      `INSERT INTO merchant_settlement_profile
         (merchant_id, schedule, n_days, fee_bps, fee_fixed_minor, fee_min_minor, fee_max_minor, cutoff_time, payout_min_minor, reserve_bps, reserve_hold_days, payout_account_no)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (merchant_id) DO UPDATE SET
         schedule = EXCLUDED.schedule, n_days = EXCLUDED.n_days, fee_bps = EXCLUDED.fee_bps, fee_fixed_minor = EXCLUDED.fee_fixed_minor,
         fee_min_minor = EXCLUDED.fee_min_minor, fee_max_minor = EXCLUDED.fee_max_minor, cutoff_time = EXCLUDED.cutoff_time,
         payout_min_minor = EXCLUDED.payout_min_minor, reserve_bps = EXCLUDED.reserve_bps, reserve_hold_days = EXCLUDED.reserve_hold_days,
         payout_account_no = EXCLUDED.payout_account_no
       RETURNING *`,
      [
        merchantId,
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
        t.payoutAccountNo,
      ],
    );
    return toProfile(rows[0]!);
  }

  /** Records a change of terms under its Idempotency-Key; false when the key was used before. */
  async recordChange(tx: EntityManager, key: string, merchantId: string, requestHash: string, terms: unknown): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO merchant_terms_change (idempotency_key, merchant_id, request_hash, terms) VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
      [key, merchantId, requestHash, JSON.stringify(terms)],
    );
    return rows.length === 1;
  }

  async findChange(tx: EntityManager, key: string): Promise<{ merchantId: string; requestHash: string } | undefined> {
    const rows: { merchant_id: string; request_hash: string }[] = await tx.query(`SELECT merchant_id, request_hash FROM merchant_terms_change WHERE idempotency_key = $1`, [key]);
    return rows[0] && { merchantId: rows[0].merchant_id, requestHash: rows[0].request_hash };
  }
}
