import type { AuditSnapshot, BankPayout } from './snapshot';
import { violation, type Violation } from './violation';

/** The bank's state for a payout that paid the merchant. */
export const PAID_STATUS = 'PAID';

/**
 * Every payout was paid once at the bank and booked once in the ledger: a bank payout is a
 * settlement's (its payout id is the settlement id), of the settlement's amount, and its settlement
 * is COMPLETED with the payout booked and not reversed; a COMPLETED settlement (of a positive amount)
 * was paid at the bank. A bank payout for no settlement that matches a settlement already paid (same
 * amount, currency and account) is that settlement paid twice.
 */
export function checkPayouts(s: Pick<AuditSnapshot, 'bankPayouts' | 'settlements' | 'ledger'>): { violations: Violation[]; summary: { payouts: number } } {
  const violations: Violation[] = [];
  const booked = new Set(s.ledger.map((l) => l.reference));
  const settlementById = new Map(s.settlements.map((x) => [x.id, x]));
  const paid = s.bankPayouts.filter((b) => b.status === PAID_STATUS);
  const paidBySettlement = new Map<string, BankPayout>();
  for (const b of paid) if (settlementById.has(b.payoutId)) paidBySettlement.set(b.payoutId, b);

  for (const b of paid) {
    const st = settlementById.get(b.payoutId);
    if (!st) {
      const twin = s.settlements.find((x) => paidBySettlement.has(x.id) && x.netMinor === b.amountMinor && x.currency === b.currency && (x.accountLast4 === undefined || x.accountLast4 === b.accountLast4));
      violations.push(
        twin
          ? violation('DOUBLE_PAYOUT', `the bank paid ${b.amountMinor} ${b.currency ?? ''} as ${b.payoutId}, no settlement's payout: settlement ${twin.id} of merchant ${twin.merchantId} (same amount and account) was paid already`, [b.payoutId, twin.id])
          : violation('PAYOUT_WITHOUT_SETTLEMENT', `the bank paid ${b.amountMinor} ${b.currency ?? ''} to account …${b.accountLast4 ?? '?'} as ${b.payoutId}, which is no settlement`, [b.payoutId]),
      );
      continue;
    }
    if (b.amountMinor !== st.netMinor || (b.currency !== undefined && b.currency !== st.currency)) {
      violations.push(violation('PAYOUT_AMOUNT_MISMATCH', `settlement ${st.id}: the bank paid ${b.amountMinor} ${b.currency ?? ''}, the settlement is for ${st.netMinor} ${st.currency}`, [st.id]));
    }
    if (st.status !== 'COMPLETED' || !booked.has(`payout:${st.id}`)) {
      violations.push(violation('PAYOUT_NOT_BOOKED', `settlement ${st.id} was paid at the bank but is ${st.status}${booked.has(`payout:${st.id}`) ? '' : ' with no payout booked in the ledger'}`, [st.id]));
    }
    if (booked.has(`payout_reversed:${st.id}`)) {
      violations.push(violation('PAYOUT_REVERSED_BUT_PAID', `settlement ${st.id} was paid at the bank and reversed in the ledger: the merchant is owed it again`, [st.id]));
    }
  }
  for (const st of s.settlements) {
    if (paidBySettlement.has(st.id) || st.netMinor <= 0n) continue;
    if (st.status === 'COMPLETED' || booked.has(`payout:${st.id}`)) {
      violations.push(violation('PAYOUT_MISSING_AT_BANK', `settlement ${st.id} of merchant ${st.merchantId} (${st.netMinor} ${st.currency}) is ${st.status}, but the bank never paid it`, [st.id]));
    }
  }
  return { violations, summary: { payouts: paid.length } };
}
