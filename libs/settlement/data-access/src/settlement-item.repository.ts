import type { SettlementItem, SettlementItemKind } from '@paystream/settlement/domain';
import { scopedMerchantId, type TenantScope } from '@paystream/shared/auth';
import { toBigInt, type EntityManager } from '@paystream/shared/persistence';

/** A settlement item as stored: with the channel it came through, when it happened and the settlement that paid it. */
export interface StoredSettlementItem extends SettlementItem {
  channel: string | null;
  occurredAt: Date;
  settlementId: string | null;
}

interface Row {
  kind: SettlementItemKind;
  reference: string;
  merchant_id: string;
  currency: string;
  channel: string | null;
  due_on: string;
  gross_minor: string;
  fee_minor: string;
  refund_minor: string;
  reserve_minor: string;
  amount_minor: string;
  occurred_at: Date;
  settlement_id: string | null;
}

const COLUMNS = `kind, reference, merchant_id, currency, channel, to_char(due_on, 'YYYY-MM-DD') AS due_on, gross_minor, fee_minor, refund_minor, reserve_minor, amount_minor, occurred_at, settlement_id`;

function toItem(r: Row): StoredSettlementItem {
  return {
    kind: r.kind,
    reference: r.reference,
    merchantId: r.merchant_id,
    currency: r.currency.trim(),
    channel: r.channel,
    dueOn: r.due_on,
    grossMinor: toBigInt(r.gross_minor),
    feeMinor: toBigInt(r.fee_minor),
    refundMinor: toBigInt(r.refund_minor),
    reserveMinor: toBigInt(r.reserve_minor),
    amountMinor: toBigInt(r.amount_minor),
    occurredAt: r.occurred_at,
    settlementId: r.settlement_id,
  };
}

/** What each settlement is made of, and what is still waiting for one. */
export class SettlementItemRepository {
  /** Adds an item once (by kind and reference); returns whether it was added. */
  async add(tx: EntityManager, i: SettlementItem, extra: { channel?: string; occurredAt: Date }): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO settlement_item (kind, reference, merchant_id, currency, channel, due_on, gross_minor, fee_minor, refund_minor, reserve_minor, amount_minor, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (kind, reference) DO NOTHING RETURNING kind`,
      [i.kind, i.reference, i.merchantId, i.currency, extra.channel ?? null, i.dueOn, i.grossMinor.toString(), i.feeMinor.toString(), i.refundMinor.toString(), i.reserveMinor.toString(), i.amountMinor.toString(), extra.occurredAt],
    );
    return rows.length === 1;
  }

  /** A merchant's items no settlement has claimed yet, locked for the run that may claim them. */
  async unsettled(tx: EntityManager, merchantId: string, currency: string): Promise<StoredSettlementItem[]> {
    const rows: Row[] = await tx.query(
      `SELECT ${COLUMNS} FROM settlement_item WHERE merchant_id = $1 AND currency = $2 AND settlement_id IS NULL ORDER BY occurred_at, kind, reference FOR UPDATE`,
      [merchantId, currency],
    );
    return rows.map(toItem);
  }

  /** Claims items for a settlement; every one must still be unclaimed (the run holds their locks). */
  async claim(tx: EntityManager, settlementId: string, items: readonly SettlementItem[]): Promise<void> {
    if (items.length === 0) return;
    const [, claimed]: [unknown, number] = await tx.query(
      `UPDATE settlement_item SET settlement_id = $1
        WHERE settlement_id IS NULL AND (kind, reference) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [settlementId, items.map((i) => i.kind), items.map((i) => i.reference)],
    );
    if (claimed !== items.length) throw new Error(`settlement ${settlementId} claimed ${claimed} of ${items.length} items`);
  }

  /** The items in the scope of each of some settlements (in one query), each settlement's in the order they happened. */
  async forSettlements(tx: EntityManager, scope: TenantScope, settlementIds: readonly string[]): Promise<Map<string, StoredSettlementItem[]>> {
    const bySettlement = new Map<string, StoredSettlementItem[]>();
    if (settlementIds.length === 0) return bySettlement;
    const rows: Row[] = await tx.query(
      `SELECT ${COLUMNS} FROM settlement_item WHERE settlement_id = ANY($1::uuid[]) AND ($2::text IS NULL OR merchant_id = $2) ORDER BY occurred_at, kind, reference`,
      [settlementIds, scopedMerchantId(scope)],
    );
    for (const item of rows.map(toItem)) {
      const lines = bySettlement.get(item.settlementId!);
      if (lines) lines.push(item);
      else bySettlement.set(item.settlementId!, [item]);
    }
    return bySettlement;
  }

  /** The channel a payment came through (a refund's is looked up by its payment). */
  async channelOfPayment(tx: EntityManager, paymentId: string): Promise<string | undefined> {
    const rows: { channel: string | null }[] = await tx.query(`SELECT channel FROM settlement_item WHERE kind = 'payment' AND reference = $1`, [paymentId]);
    return rows[0]?.channel ?? undefined;
  }

  /** Merchants (and currencies) with unclaimed items due by a date: the ones a run looks at. */
  async merchantsWithDueItems(tx: EntityManager, asOf: string, merchantId?: string): Promise<{ merchantId: string; currency: string }[]> {
    const rows: { merchant_id: string; currency: string }[] = await tx.query(
      `SELECT DISTINCT merchant_id, currency FROM settlement_item
        WHERE settlement_id IS NULL AND due_on <= $1 AND ($2::text IS NULL OR merchant_id = $2) ORDER BY merchant_id, currency`,
      [asOf, merchantId ?? null],
    );
    return rows.map((r) => ({ merchantId: r.merchant_id, currency: r.currency.trim() }));
  }

  /** What a merchant in the scope has waiting: not yet due, due but unpaid (below the minimum or negative), and the reserve to be released. */
  async pending(tx: EntityManager, scope: TenantScope, merchantId: string, asOf: string) {
    const rows: { currency: string; not_due: string; due: string; reserve: string; items: number }[] = await tx.query(
      `SELECT currency,
              COALESCE(sum(amount_minor) FILTER (WHERE kind <> 'reserve_release' AND due_on > $2), 0)::text AS not_due,
              COALESCE(sum(amount_minor) FILTER (WHERE kind <> 'reserve_release' AND due_on <= $2), 0)::text AS due,
              COALESCE(sum(amount_minor) FILTER (WHERE kind = 'reserve_release'), 0)::text AS reserve,
              count(*)::int AS items
         FROM settlement_item WHERE merchant_id = $1 AND ($3::text IS NULL OR merchant_id = $3) AND settlement_id IS NULL GROUP BY currency ORDER BY currency`,
      [merchantId, asOf, scopedMerchantId(scope)],
    );
    return rows.map((r) => ({ currency: r.currency.trim(), notDueMinor: r.not_due, dueMinor: r.due, reserveHeldMinor: r.reserve, items: r.items }));
  }
}
