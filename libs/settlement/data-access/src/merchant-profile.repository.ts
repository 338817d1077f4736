import type { SettlementSchedule } from '@paystream/settlement/domain';
import type { EntityManager } from '@paystream/shared/persistence';

export interface MerchantProfile {
  merchantId: string;
  schedule: SettlementSchedule;
  nDays: number;
  feeBps: bigint;
}

/** How each merchant is settled; a merchant seen for the first time gets the defaults (real time, 60 bps). */
export class MerchantProfileRepository {
  async getOrCreate(tx: EntityManager, merchantId: string): Promise<MerchantProfile> {
    await tx.query(`INSERT INTO merchant_settlement_profile (merchant_id) VALUES ($1) ON CONFLICT (merchant_id) DO NOTHING`, [merchantId]);
    const [row]: { merchant_id: string; schedule: SettlementSchedule; n_days: number; fee_bps: number }[] = await tx.query(
      `SELECT merchant_id, schedule, n_days, fee_bps FROM merchant_settlement_profile WHERE merchant_id = $1`,
      [merchantId],
    );
    if (!row) throw new Error(`merchant profile ${merchantId} vanished`);
    return { merchantId: row.merchant_id, schedule: row.schedule, nDays: row.n_days, feeBps: BigInt(row.fee_bps) };
  }
}
