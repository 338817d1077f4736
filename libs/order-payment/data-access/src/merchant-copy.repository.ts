import type { MerchantSnapshot, MerchantStatus } from '@paystream/contracts';
import type { EntityManager } from '@paystream/shared/persistence';

/** A merchant as order-payment's copy knows it. */
export interface MerchantCopy {
  merchantId: string;
  version: number;
  status: MerchantStatus;
  legalName: string;
  changedAt: Date;
}

/** order-payment's local copy of the merchants: the highest version seen of each wins. */
export class MerchantCopyRepository {
  /** Applies a snapshot unless the copy already has this or a later version; whether it changed the copy. */
  async apply(tx: EntityManager, s: MerchantSnapshot): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO merchant (merchant_id, version, status, legal_name, changed_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (merchant_id) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status, legal_name = EXCLUDED.legal_name,
         changed_at = EXCLUDED.changed_at, copied_at = now()
       WHERE merchant.version < EXCLUDED.version
       RETURNING merchant_id`,
      [s.merchantId, s.version, s.status, s.legalName, s.occurredAt],
    );
    return rows.length === 1;
  }

  async find(tx: EntityManager, merchantId: string): Promise<MerchantCopy | undefined> {
    const rows: { merchant_id: string; version: number; status: MerchantStatus; legal_name: string; changed_at: Date }[] = await tx.query(
      `SELECT merchant_id, version, status, legal_name, changed_at FROM merchant WHERE merchant_id = $1`,
      [merchantId],
    );
    const r = rows[0];
    return r && { merchantId: r.merchant_id, version: r.version, status: r.status, legalName: r.legal_name, changedAt: r.changed_at };
  }
}
