/**
 * The refunds the demo asks for: a small named share of the succeeded payments is refunded through
 * order-payment's refund API, some in full, some in part, so the report shows refunds netted by
 * settlement, clawed back from a merchant already paid, carried forward as a negative balance, and
 * cleared by reconciliation. Amounts are minor units. Pure: no I/O.
 */

/** Per-mille of orders whose payment, when it succeeds, is refunded in full. */
export const REFUND_FULL_PER_MILLE = 30;
/** Per-mille of orders whose payment, when it succeeds, is refunded in part. */
export const REFUND_PARTIAL_PER_MILLE = 20;
/** A partial refund gives back this share of the payment, in per-mille (rounded down, at least 1 fen). */
export const PARTIAL_REFUND_SHARE_PER_MILLE = 400n;

export type RefundKind = 'full' | 'partial';

/**
 * Whether the i-th order's payment is refunded, and how: a deterministic spread through the run
 * (its own hash, so refunds do not follow the scenarios, the channels or the merchants).
 */
export function refundOf(i: number, fullPerMille = REFUND_FULL_PER_MILLE, partialPerMille = REFUND_PARTIAL_PER_MILLE): RefundKind | undefined {
  const slot = (Math.imul(i + 13, 2246822519) >>> 0) % 1000;
  if (slot < fullPerMille) return 'full';
  if (slot < fullPerMille + partialPerMille) return 'partial';
  return undefined;
}

/** The amount to refund of a payment: all of it, or a share of it that leaves something captured. */
export function refundAmount(kind: RefundKind, paymentMinor: bigint): bigint {
  if (paymentMinor <= 0n) throw new RangeError(`a refund needs a positive payment, got ${paymentMinor}`);
  if (kind === 'full' || paymentMinor === 1n) return paymentMinor;
  const part = (paymentMinor * PARTIAL_REFUND_SHARE_PER_MILLE) / 1000n;
  return part < 1n ? 1n : part;
}

/** A refund the demo asked for and the channel made. */
export interface RefundDone {
  refundId: string;
  paymentId: string;
  merchantId: string;
  amountMinor: bigint;
}

/** A settlement of the run with its line items (as GET /settlements/:id shows them). */
export interface SettlementWithLines {
  settlementId: string;
  merchantId: string;
  createdAt: string;
  lines: { kind: string; reference: string }[];
}

/**
 * How settlement took a refund back from its merchant:
 * - `netted`: in the same settlement as the payment it refunds, before that was paid out;
 * - `clawed_back`: in a later settlement than the payment's (the merchant had been settled for it
 *   already, as a real-time merchant always is), so the refund came off another payout;
 * - `carried_forward`: in no settlement yet: the merchant's balance went negative (or stayed under
 *   its minimum) and waits for later payments.
 */
export type RefundSettlement = 'netted' | 'clawed_back' | 'carried_forward';

export interface RefundSettlementSummary {
  byRefund: Map<string, RefundSettlement>;
  totals: Record<RefundSettlement, { count: number; amountMinor: bigint }>;
}

/** Classifies each refund by where settlement netted it (see RefundSettlement). */
export function classifyRefundSettlements(refunds: readonly RefundDone[], settlements: readonly SettlementWithLines[]): RefundSettlementSummary {
  const settledIn = new Map<string, SettlementWithLines>();
  for (const s of settlements) for (const l of s.lines) if (l.kind === 'payment' || l.kind === 'refund') settledIn.set(`${l.kind}:${l.reference}`, s);
  const totals: RefundSettlementSummary['totals'] = {
    netted: { count: 0, amountMinor: 0n },
    clawed_back: { count: 0, amountMinor: 0n },
    carried_forward: { count: 0, amountMinor: 0n },
  };
  const byRefund = new Map<string, RefundSettlement>();
  for (const r of refunds) {
    const refundIn = settledIn.get(`refund:${r.refundId}`);
    const paymentIn = settledIn.get(`payment:${r.paymentId}`);
    const how: RefundSettlement = !refundIn
      ? 'carried_forward'
      : paymentIn && paymentIn.settlementId !== refundIn.settlementId && Date.parse(paymentIn.createdAt) <= Date.parse(refundIn.createdAt)
        ? 'clawed_back'
        : 'netted';
    byRefund.set(r.refundId, how);
    totals[how].count++;
    totals[how].amountMinor += r.amountMinor;
  }
  return { byRefund, totals };
}

/** The real-time merchant the demo refunds once more after its last payment (merchant-0 is seeded real time). */
export const LATE_REFUND_MERCHANT_ID = 'merchant-0';

/**
 * The payment the demo refunds in full after the last order: the merchant's largest succeeded payment
 * not refunded already. No payment of the merchant follows it, so the settlement run finds the refund
 * alone, negative, and carries the merchant's negative balance forward to its next payments.
 */
export function lateRefundPick<T extends { paymentId: string; merchantId: string; amountMinor: bigint }>(succeeded: readonly T[], merchantId: string, refunded: ReadonlySet<string>): T | undefined {
  let best: T | undefined;
  for (const p of succeeded) {
    if (p.merchantId !== merchantId || refunded.has(p.paymentId)) continue;
    if (!best || p.amountMinor > best.amountMinor) best = p;
  }
  return best;
}
