import { CAPTURED_STATUSES, type AuditSnapshot } from './snapshot';
import { addTo, violation, type Violation } from './violation';

const PAYABLE_PREFIX = 'merchant_payable:';
const RESERVE_PREFIX = 'merchant_reserve:';

/** One merchant's money in one currency, each side from its own source. */
export interface MerchantMoney {
  /** Succeeded payments (order-payment). */
  grossMinor: bigint;
  /** The fees the payments were booked with (settlement items). */
  feeMinor: bigint;
  /** Refunds order-payment reports succeeded. */
  refundMinor: bigint;
  /** What the ledger says the platform owes the merchant now (negative: a clawback still owed back). */
  payableMinor: bigint;
  /** The rolling reserve the ledger holds. */
  reserveMinor: bigint;
  /** Settlements booked as sent to the bank that neither the bank paid nor the ledger settled or reversed. */
  inFlightMinor: bigint;
  /** What the bank paid for the merchant's settlements (the emulator's books). */
  paidOutMinor: bigint;
}

const zero = (): MerchantMoney => ({ grossMinor: 0n, feeMinor: 0n, refundMinor: 0n, payableMinor: 0n, reserveMinor: 0n, inFlightMinor: 0n, paidOutMinor: 0n });

/**
 * Every merchant's books add up, per currency:
 *
 *   payable + reserve held + payouts in flight + paid out  =  gross - fees - refunds
 *
 * Booking a payment credits payable with gross - fee - reserve and the reserve with the reserve; a
 * reserve release moves reserve to payable; a refund debits payable (below zero after a payout: a
 * clawback, carried forward as a negative balance); a settlement order debits payable into payouts
 * in flight, which the bank's payment settles and a failure reverses back to payable. So the left
 * side, from the ledger and the bank, must equal the right side, from order-payment's payments and
 * refunds and the fees booked, to the fen.
 */
export function merchantMoney(s: Pick<AuditSnapshot, 'payments' | 'refunds' | 'paymentItems' | 'ledger' | 'settlements' | 'bankPayouts'>): Map<string, MerchantMoney> {
  const books = new Map<string, MerchantMoney>();
  const of = (merchantId: string, currency: string) => {
    const key = `${merchantId} ${currency}`;
    let m = books.get(key);
    if (!m) books.set(key, (m = zero()));
    return m;
  };
  const paymentById = new Map(s.payments.map((p) => [p.id, p]));
  for (const p of s.payments) if (CAPTURED_STATUSES.includes(p.status)) of(p.merchantId, p.currency).grossMinor += p.amountMinor;
  for (const r of s.refunds) {
    const p = paymentById.get(r.paymentId);
    if (r.status === 'SUCCEEDED' && p) of(p.merchantId, r.currency).refundMinor += r.amountMinor;
  }
  for (const i of s.paymentItems) of(i.merchantId, i.currency).feeMinor += i.feeMinor;
  for (const l of s.ledger) {
    // credits are negative: what the platform owes is minus the balance
    if (l.accountId.startsWith(PAYABLE_PREFIX)) of(l.accountId.slice(PAYABLE_PREFIX.length), l.currency).payableMinor -= l.amountMinor;
    if (l.accountId.startsWith(RESERVE_PREFIX)) of(l.accountId.slice(RESERVE_PREFIX.length), l.currency).reserveMinor -= l.amountMinor;
  }
  const booked = new Set(s.ledger.map((l) => l.reference));
  const paid = new Map<string, bigint>();
  for (const b of s.bankPayouts) if (b.status === 'PAID') addTo(paid, b.payoutId, b.amountMinor);
  for (const st of s.settlements) {
    const m = of(st.merchantId, st.currency);
    const paidAtBank = paid.get(st.id);
    if (paidAtBank !== undefined) m.paidOutMinor += paidAtBank;
    else if (booked.has(`payout_sent:${st.id}`) && !booked.has(`payout:${st.id}`) && !booked.has(`payout_reversed:${st.id}`)) m.inFlightMinor += st.netMinor;
  }
  return books;
}

export function checkMerchantBalances(s: Parameters<typeof merchantMoney>[0]): Violation[] {
  const violations: Violation[] = [];
  for (const [key, m] of [...merchantMoney(s)].sort(([a], [b]) => a.localeCompare(b))) {
    const held = m.payableMinor + m.reserveMinor + m.inFlightMinor + m.paidOutMinor;
    const earned = m.grossMinor - m.feeMinor - m.refundMinor;
    if (held === earned) continue;
    const [merchantId, currency] = key.split(' ');
    violations.push(
      violation(
        'MERCHANT_BALANCE_MISMATCH',
        `merchant ${merchantId} ${currency}: payable ${m.payableMinor} + reserve ${m.reserveMinor} + in flight ${m.inFlightMinor} + paid out ${m.paidOutMinor} = ${held}, but gross ${m.grossMinor} - fees ${m.feeMinor} - refunds ${m.refundMinor} = ${earned} (${held - earned} apart)`,
        [merchantId!],
      ),
    );
  }
  return violations;
}
