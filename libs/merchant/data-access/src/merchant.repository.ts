import type { MerchantStatus } from '@paystream/contracts';
import type { Merchant } from '@paystream/merchant/domain';
import { affectedRows, type EntityManager } from '@paystream/shared/persistence';

interface Row {
  merchant_id: string;
  version: number;
  status: MerchantStatus;
  legal_name: string;
  contact_name: string;
  contact_email: string;
  contact_phone: string | null;
  schedule: 'realtime' | 't_plus_n';
  n_days: number;
  cutoff_time: string;
  payout_min_minor: string;
  reserve_bps: number;
  reserve_hold_days: number;
  fee_bps: number;
  fee_fixed_minor: string;
  fee_min_minor: string;
  fee_max_minor: string | null;
  payout_bank_code: string;
  payout_account_no: string;
  payout_account_name: string;
}

function toMerchant(r: Row): Merchant {
  return {
    merchantId: r.merchant_id,
    version: r.version,
    status: r.status,
    legalName: r.legal_name,
    contact: { name: r.contact_name, email: r.contact_email, ...(r.contact_phone === null ? {} : { phone: r.contact_phone }) },
    terms: {
      schedule: r.schedule,
      nDays: r.n_days,
      cutoffTime: r.cutoff_time,
      payoutMinMinor: String(r.payout_min_minor),
      reserveBps: r.reserve_bps,
      reserveHoldDays: r.reserve_hold_days,
      feePlan: { rateBps: r.fee_bps, fixedMinor: String(r.fee_fixed_minor), minMinor: String(r.fee_min_minor), maxMinor: r.fee_max_minor === null ? null : String(r.fee_max_minor), rounding: 'half-up' },
      payoutAccount: { bankCode: r.payout_bank_code, accountNo: r.payout_account_no, accountName: r.payout_account_name },
    },
  };
}

function params(m: Merchant): unknown[] {
  const t = m.terms;
  return [
    m.merchantId,
    m.version,
    m.status,
    m.legalName,
    m.contact.name,
    m.contact.email,
    m.contact.phone ?? null,
    t.schedule,
    t.nDays,
    t.cutoffTime,
    t.payoutMinMinor,
    t.reserveBps,
    t.reserveHoldDays,
    t.feePlan.rateBps,
    t.feePlan.fixedMinor,
    t.feePlan.minMinor,
    t.feePlan.maxMinor,
    t.payoutAccount.bankCode,
    t.payoutAccount.accountNo,
    t.payoutAccount.accountName,
  ];
}

const COLUMNS = `merchant_id, version, status, legal_name, contact_name, contact_email, contact_phone, schedule, n_days, cutoff_time,
  payout_min_minor, reserve_bps, reserve_hold_days, fee_bps, fee_fixed_minor, fee_min_minor, fee_max_minor,
  payout_bank_code, payout_account_no, payout_account_name`;

/** The registry's merchants: inserted once, then changed only by a guarded update at the next version. */
export class MerchantRepository {
  /** Inserts a new merchant; false when the id is taken. */
  async insert(tx: EntityManager, m: Merchant): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO merchant (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
       ON CONFLICT (merchant_id) DO NOTHING RETURNING merchant_id`,
      params(m),
    );
    return rows.length === 1;
  }

  /** A merchant, locked for the caller's transaction when `forUpdate` (its changes line up). */
  async find(tx: EntityManager, merchantId: string, options: { forUpdate?: boolean } = {}): Promise<Merchant | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM merchant WHERE merchant_id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [merchantId]);
    return rows[0] ? toMerchant(rows[0]) : undefined;
  }

  /** Merchants by id, optionally of one status, at most `limit`. */
  async list(tx: EntityManager, options: { status?: MerchantStatus; limit: number; after?: string }): Promise<Merchant[]> {
    const rows: Row[] = await tx.query(
      `SELECT * FROM merchant WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR merchant_id > $2) ORDER BY merchant_id LIMIT $3`,
      [options.status ?? null, options.after ?? null, options.limit],
    );
    return rows.map(toMerchant);
  }

  /** Writes the merchant at its new version, only if the stored one is the version before (else throws: a lost update). */
  async update(tx: EntityManager, m: Merchant): Promise<void> {
    const result = await tx.query(
      `UPDATE merchant SET version = $2, status = $3, legal_name = $4, contact_name = $5, contact_email = $6, contact_phone = $7, schedule = $8,
              n_days = $9, cutoff_time = $10, payout_min_minor = $11, reserve_bps = $12, reserve_hold_days = $13, fee_bps = $14,
              fee_fixed_minor = $15, fee_min_minor = $16, fee_max_minor = $17, payout_bank_code = $18, payout_account_no = $19,
              payout_account_name = $20, updated_at = now()
        WHERE merchant_id = $1 AND version = $2 - 1`,
      params(m),
    );
    if (affectedRows(result) !== 1) throw new Error(`merchant ${m.merchantId} is not at version ${m.version - 1}`);
  }
}
