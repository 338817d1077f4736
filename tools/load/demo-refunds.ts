import { classifyRefundSettlements, refundAmount, type RefundDone, type RefundKind, type RefundSettlementSummary, type SettlementWithLines } from './refund-plan';
import { demoFetch } from './demo-auth';
import { getJson } from './service-urls';

/** What the demo knows of a payment it refunds (from payment.succeeded.v1). */
export interface RefundablePayment {
  paymentId: string;
  merchantId: string;
  amountMinor: bigint;
}

/** One refund the demo asked for, and what became of it. */
export interface DemoRefund {
  orderIndex: number;
  kind: RefundKind;
  paymentId: string;
  merchantId: string;
  amountMinor: bigint;
  /** The refund id order-payment gave (absent when the request was refused). */
  refundId?: string;
  status: 'REQUESTED' | 'SUCCEEDED' | 'FAILED' | 'REFUSED';
  /** The failure code (channel) or the HTTP answer of a refused request. */
  reason?: string;
  /** Asked for after the last order (a real-time merchant's, to show a negative balance carried forward). */
  late?: boolean;
}

const REFUND_CALL_TIMEOUT_MS = 10_000;
/** How often a refund still REQUESTED is asked after. */
const REFUND_POLL_INTERVAL_MS = 250;
/** Settlements fetched per page when collecting a merchant's settlements of the run (the API's most). */
const SETTLEMENT_PAGE_SIZE = 200;

/** Asks order-payment to refund the i-th order's payment (POST /payments/:id/refunds, one Idempotency-Key per order and run). */
export async function requestRefund(orderPaymentUrl: string, runId: string, orderIndex: number, kind: RefundKind, p: RefundablePayment): Promise<DemoRefund> {
  const amountMinor = refundAmount(kind, p.amountMinor);
  const base: DemoRefund = { orderIndex, kind, paymentId: p.paymentId, merchantId: p.merchantId, amountMinor, status: 'REQUESTED' };
  try {
    const res = await demoFetch(`${orderPaymentUrl}/payments/${p.paymentId}/refunds`, {
      as: p.merchantId,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `demo-refund-${runId}-${orderIndex}` },
      body: JSON.stringify({ amountMinor: amountMinor.toString(), reason: kind === 'full' ? 'demo: order cancelled' : 'demo: part of the order returned' }),
      signal: AbortSignal.timeout(REFUND_CALL_TIMEOUT_MS),
    });
    const body = (await res.json().catch(() => ({}))) as { refundId?: string; error?: { code?: string } };
    if (res.status !== 202 && res.status !== 200) return { ...base, status: 'REFUSED', reason: `HTTP ${res.status} ${body.error?.code ?? ''}`.trim() };
    return { ...base, refundId: body.refundId };
  } catch (error) {
    return { ...base, status: 'REFUSED', reason: (error as Error).message };
  }
}

/** Follows the refunds still REQUESTED (GET /payments/:id/refunds) until each succeeded or failed, or the time is up. */
export async function awaitRefundOutcomes(orderPaymentUrl: string, refunds: DemoRefund[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const open = refunds.filter((r) => r.status === 'REQUESTED' && r.refundId);
    if (open.length === 0 || performance.now() >= deadline) return;
    for (const paymentId of new Set(open.map((r) => r.paymentId))) {
      const seen = await getJson<{ refunds?: { refundId: string; status: DemoRefund['status']; failure?: { code?: string } | null }[] }>(`${orderPaymentUrl}/payments/${paymentId}/refunds`);
      for (const r of open.filter((o) => o.paymentId === paymentId)) {
        const now = seen?.refunds?.find((x) => x.refundId === r.refundId);
        if (now && now.status !== 'REQUESTED') Object.assign(r, { status: now.status, reason: now.failure?.code });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, REFUND_POLL_INTERVAL_MS));
  }
}

/** The merchants' settlements created since a time, with their line items (GET /settlements, GET /settlements/:id). */
export async function settlementsSince(settlementUrl: string, merchantIds: string[], sinceMs: number): Promise<SettlementWithLines[]> {
  const out: SettlementWithLines[] = [];
  for (const merchantId of merchantIds) {
    let before: string | null = null;
    for (;;) {
      const page: { settlements?: { settlementId: string; createdAt: string }[]; nextBefore?: string | null } | undefined = await getJson(
        `${settlementUrl}/settlements?merchantId=${encodeURIComponent(merchantId)}&limit=${SETTLEMENT_PAGE_SIZE}${before ? `&before=${encodeURIComponent(before)}` : ''}`,
      );
      const fresh = (page?.settlements ?? []).filter((s) => Date.parse(s.createdAt) >= sinceMs);
      for (const s of fresh) {
        const detail = await getJson<{ lines?: { kind: string; reference: string }[] }>(`${settlementUrl}/settlements/${s.settlementId}`);
        out.push({ settlementId: s.settlementId, merchantId, createdAt: s.createdAt, lines: detail?.lines ?? [] });
      }
      // newest first: a page reaching back before the run is the last one needed
      if (!page?.nextBefore || fresh.length < (page.settlements?.length ?? 0)) break;
      before = page.nextBefore;
    }
  }
  return out;
}

/** A merchant whose balance is negative: refunds exceeded what it was owed, carried forward to its later payments. */
export interface NegativeBalance {
  merchantId: string;
  currency: string;
  owedMinor: bigint;
}

/** The merchants owing money back (GET /merchants/:id/balance, owed below zero). */
export async function negativeBalances(settlementUrl: string, merchantIds: string[]): Promise<NegativeBalance[]> {
  const out: NegativeBalance[] = [];
  for (const merchantId of merchantIds) {
    const b = await getJson<{ balances?: { currency: string; owedMinor: string }[] }>(`${settlementUrl}/merchants/${encodeURIComponent(merchantId)}/balance`);
    for (const x of b?.balances ?? []) if (BigInt(x.owedMinor) < 0n) out.push({ merchantId, currency: x.currency, owedMinor: BigInt(x.owedMinor) });
  }
  return out;
}

/** Refunds in flight in the ledger (booked, not yet cleared by reconciliation), in minor units. */
export async function refundsInFlightMinor(settlementUrl: string): Promise<bigint | undefined> {
  const rows = await getJson<{ kind: string; currency: string; balanceMinor: string }[]>(`${settlementUrl}/ledger/balances`);
  if (!Array.isArray(rows)) return undefined;
  // the account is credited when a refund is booked: what is in flight is minus its balance
  return -rows.filter((r) => r.kind === 'refunds_in_flight').reduce((a, r) => a + BigInt(r.balanceMinor), 0n);
}

/** The refunds of the run: counts by outcome and kind, amounts, and how settlement took them back. */
export interface RefundSummary {
  requested: number;
  full: number;
  partial: number;
  late: number;
  succeeded: number;
  failed: number;
  refused: number;
  noOutcome: number;
  succeededMinor: bigint;
  failedByReason: Record<string, number>;
  settlement: RefundSettlementSummary['totals'];
  negativeBalances: NegativeBalance[];
}

export function summariseRefunds(refunds: readonly DemoRefund[], settlements: readonly SettlementWithLines[], negative: NegativeBalance[]): RefundSummary {
  const done: RefundDone[] = refunds.filter((r) => r.status === 'SUCCEEDED' && r.refundId).map((r) => ({ refundId: r.refundId!, paymentId: r.paymentId, merchantId: r.merchantId, amountMinor: r.amountMinor }));
  const failedByReason: Record<string, number> = {};
  for (const r of refunds) if (r.status === 'FAILED' || r.status === 'REFUSED') failedByReason[r.reason ?? '?'] = (failedByReason[r.reason ?? '?'] ?? 0) + 1;
  return {
    requested: refunds.length,
    full: refunds.filter((r) => r.kind === 'full').length,
    partial: refunds.filter((r) => r.kind === 'partial').length,
    late: refunds.filter((r) => r.late).length,
    succeeded: done.length,
    failed: refunds.filter((r) => r.status === 'FAILED').length,
    refused: refunds.filter((r) => r.status === 'REFUSED').length,
    noOutcome: refunds.filter((r) => r.status === 'REQUESTED').length,
    succeededMinor: done.reduce((a, r) => a + r.amountMinor, 0n),
    failedByReason,
    settlement: classifyRefundSettlements(done, settlements).totals,
    negativeBalances: negative,
  };
}

/** The report lines for the run's refunds. */
export function refundLines(s: RefundSummary, yuan: (minor: bigint) => string): string[] {
  const t = s.settlement;
  const failures = Object.entries(s.failedByReason).map(([k, n]) => `${k}=${n}`).join(' ');
  return [
    `  refunds              ${s.requested} requested (${s.full} full, ${s.partial} partial; ${s.late} after the last order): ${s.succeeded} succeeded (CNY ${yuan(s.succeededMinor)}), ${s.failed} failed, ${s.refused} refused, ${s.noOutcome} no outcome${failures ? `  ${failures}` : ''}`,
    `  refunds settled      netted before payout ${t.netted.count} (CNY ${yuan(t.netted.amountMinor)}), clawed back from a later settlement ${t.clawed_back.count} (CNY ${yuan(t.clawed_back.amountMinor)}), carried forward ${t.carried_forward.count} (CNY ${yuan(t.carried_forward.amountMinor)})`,
    `  negative balances    ${s.negativeBalances.length ? s.negativeBalances.map((b) => `${b.merchantId} ${b.currency} ${yuan(b.owedMinor)}`).join(', ') + ' (owed back, carried forward to later payments)' : 'none'}`,
  ];
}
