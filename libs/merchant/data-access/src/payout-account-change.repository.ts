import type { PayoutAccount, PayoutAccountChangeState } from '@paystream/contracts';
import { affectedRows, type EntityManager } from '@paystream/shared/persistence';

/** A four-eyes payout account change as stored. */
export interface PayoutAccountChange {
  id: string;
  merchantId: string;
  state: PayoutAccountChangeState;
  account: PayoutAccount;
  proposedBy: string;
  proposedAt: Date;
  approvedBy: string | null;
  approvedAt: Date | null;
  effectiveAt: Date | null;
  closedBy: string | null;
  closedAt: Date | null;
  note: string | null;
}

interface Row {
  id: string;
  merchant_id: string;
  state: PayoutAccountChangeState;
  bank_code: string;
  account_no: string;
  account_name: string;
  proposed_by: string;
  proposed_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  effective_at: Date | null;
  closed_by: string | null;
  closed_at: Date | null;
  note: string | null;
}

function toChange(r: Row): PayoutAccountChange {
  return {
    id: r.id,
    merchantId: r.merchant_id,
    state: r.state,
    account: { bankCode: r.bank_code, accountNo: r.account_no, accountName: r.account_name },
    proposedBy: r.proposed_by,
    proposedAt: r.proposed_at,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
    effectiveAt: r.effective_at,
    closedBy: r.closed_by,
    closedAt: r.closed_at,
    note: r.note,
  };
}

/** Payout account change proposals; every move is a guarded update from the state it was read in. */
export class PayoutAccountChangeRepository {
  /** Records a proposal; false when the merchant already has a change in progress (the open-change index). */
  async insert(tx: EntityManager, c: { id: string; merchantId: string; account: PayoutAccount; proposedBy: string; proposedAt: Date; note?: string }): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO payout_account_change (id, merchant_id, state, bank_code, account_no, account_name, proposed_by, proposed_at, note)
       VALUES ($1, $2, 'proposed', $3, $4, $5, $6, $7, $8)
       ON CONFLICT (merchant_id) WHERE state IN ('proposed', 'approved') DO NOTHING RETURNING id`,
      [c.id, c.merchantId, c.account.bankCode, c.account.accountNo, c.account.accountName, c.proposedBy, c.proposedAt, c.note ?? null],
    );
    return rows.length === 1;
  }

  async find(tx: EntityManager, merchantId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<PayoutAccountChange | undefined> {
    const rows: Row[] = await tx.query(`SELECT * FROM payout_account_change WHERE id = $1 AND merchant_id = $2${options.forUpdate ? ' FOR UPDATE' : ''}`, [id, merchantId]);
    return rows[0] ? toChange(rows[0]) : undefined;
  }

  /** A merchant's changes, newest first. */
  async listFor(tx: EntityManager, merchantId: string, limit: number): Promise<PayoutAccountChange[]> {
    const rows: Row[] = await tx.query(`SELECT * FROM payout_account_change WHERE merchant_id = $1 ORDER BY seq DESC LIMIT $2`, [merchantId, limit]);
    return rows.map(toChange);
  }

  async approve(tx: EntityManager, id: string, approvedBy: string, approvedAt: Date, effectiveAt: Date): Promise<boolean> {
    const result = await tx.query(
      `UPDATE payout_account_change SET state = 'approved', approved_by = $2, approved_at = $3, effective_at = $4 WHERE id = $1 AND state = 'proposed'`,
      [id, approvedBy, approvedAt, effectiveAt],
    );
    return affectedRows(result) === 1;
  }

  /** Rejects or cancels a change still in one of `from`. */
  async close(tx: EntityManager, id: string, to: 'rejected' | 'cancelled', from: readonly PayoutAccountChangeState[], by: string, at: Date, note: string | undefined): Promise<boolean> {
    const result = await tx.query(
      `UPDATE payout_account_change SET state = $2, closed_by = $3, closed_at = $4, note = COALESCE($5, note) WHERE id = $1 AND state = ANY($6)`,
      [id, to, by, at, note ?? null, [...from]],
    );
    return affectedRows(result) === 1;
  }

  /**
   * Claims up to `limit` approved changes whose cooling-off has passed, locked so another replica's
   * job skips them (FOR UPDATE SKIP LOCKED) until this transaction commits them as effective.
   */
  async claimDue(tx: EntityManager, now: Date, limit: number): Promise<PayoutAccountChange[]> {
    const rows: Row[] = await tx.query(
      `SELECT * FROM payout_account_change WHERE state = 'approved' AND effective_at <= $1 ORDER BY effective_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows.map(toChange);
  }

  async markEffective(tx: EntityManager, id: string): Promise<boolean> {
    const result = await tx.query(`UPDATE payout_account_change SET state = 'effective' WHERE id = $1 AND state = 'approved'`, [id]);
    return affectedRows(result) === 1;
  }
}
