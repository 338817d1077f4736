import fc from 'fast-check';
import { Money } from '@paystream/shared/money';
import { bookPayment, bookRefund, payoutReversalItem } from './book-payment';
import { addDays, BusinessCalendar } from './business-calendar';
import { BANK_SETTLEMENT_ACCOUNT, merchantPayable, merchantReserve } from './ledger-accounts';
import { isBalanced, postingsForPayoutPaid, postingsForPayoutReversed, postingsForPayoutSent, postingsForReserveRelease, type Posting } from './ledger-postings';
import { planSettlement, type SettlementItem } from './settlement-order';
import { afterPayoutAttempt, type PayoutOutcome } from './settlement-schedule';
import { SETTLEMENT_TERMS_DEFAULT, type SettlementTerms } from './settlement-terms';

/** Sequences and the most steps in each; the volume the property is checked at (stated in the README). */
const SEQUENCES = 300;
const STEPS_MAX = 60;
const ATTEMPTS_MAX = 3;
const START = '2026-02-10';

const calendar = new BusinessCalendar();
const MERCHANTS: Record<string, SettlementTerms> = {
  'm-rt': SETTLEMENT_TERMS_DEFAULT,
  'm-t1': { ...SETTLEMENT_TERMS_DEFAULT, schedule: 't_plus_n', nDays: 1, cutoffTime: '22:00', payoutMinMinor: 5_000n, feePlan: { rateBps: 80n, fixedMinor: 30n, minMinor: 50n, maxMinor: 20_000n, rounding: 'half-up' } },
  'm-res': { ...SETTLEMENT_TERMS_DEFAULT, schedule: 't_plus_n', nDays: 2, reserveBps: 1_000n, reserveHoldDays: 3 },
  'm-hold': { ...SETTLEMENT_TERMS_DEFAULT, reserveBps: 500n, reserveHoldDays: 90 },
};
const MERCHANT_IDS = Object.keys(MERCHANTS);

type Step =
  | { op: 'pay'; merchant: number; amount: bigint; channel: string; minute: number }
  | { op: 'refund'; payment: number; share: number }
  | { op: 'redeliver'; event: number }
  | { op: 'run'; merchant: number }
  | { op: 'payout'; order: number; outcome: PayoutOutcome; paidAnyway: boolean }
  | { op: 'nextDay' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('pay' as const), merchant: fc.nat(MERCHANT_IDS.length - 1), amount: fc.bigInt({ min: 1n, max: 5_000_000n }), channel: fc.constantFrom('alipay', 'wechatpay', 'unionpay'), minute: fc.nat(24 * 60 - 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('refund' as const), payment: fc.nat(), share: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('redeliver' as const), event: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('run' as const), merchant: fc.nat(MERCHANT_IDS.length - 1) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('payout' as const), order: fc.nat(), outcome: fc.constantFrom<PayoutOutcome>('PAID', 'FAILED', 'UNKNOWN'), paidAnyway: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'nextDay' as const }) },
);

/**
 * A reference settlement built from the domain functions alone, the way the service composes them:
 * booking is idempotent by (kind, reference), a run claims due items and books the payout sent, the
 * bank pays a settlement id at most once, and an unknown answer is asked about before sending again.
 */
class Reference {
  readonly transactions = new Map<string, Posting[]>();
  readonly items = new Map<string, SettlementItem & { settlementId?: string }>();
  readonly orders: { id: string; merchantId: string; amount: bigint; status: 'DUE' | 'COMPLETED' | 'FAILED'; attempts: number }[] = [];
  readonly bank = new Map<string, bigint>();
  readonly events: (() => void)[] = [];
  readonly payments: { paymentId: string; merchantId: string; gross: bigint; refunded: bigint }[] = [];
  readonly facts = new Map<string, { gross: bigint; fee: bigint; refunds: bigint }>();
  today = START;

  post(ref: string, lines: Posting[]): boolean {
    if (this.transactions.has(ref)) return false;
    expect(isBalanced(lines)).toBe(true);
    this.transactions.set(ref, lines);
    return true;
  }

  balance(account: string): bigint {
    let s = 0n;
    for (const lines of this.transactions.values()) for (const l of lines) if (l.accountId === account) s += l.amountMinor;
    return s;
  }

  addItem(i: SettlementItem): void {
    this.items.set(`${i.kind}:${i.reference}`, i);
  }

  fact(merchantId: string) {
    if (!this.facts.has(merchantId)) this.facts.set(merchantId, { gross: 0n, fee: 0n, refunds: 0n });
    return this.facts.get(merchantId)!;
  }

  pay(merchantId: string, gross: bigint, channel: string, minute: number): void {
    const paymentId = `p${this.payments.length}`;
    const succeededAt = new Date(Date.parse(`${this.today}T00:00:00+08:00`) + minute * 60_000);
    const deliver = () => {
      const b = bookPayment({ paymentId, merchantId, channel, gross: Money.of(gross, 'CNY'), succeededAt }, MERCHANTS[merchantId]!, calendar);
      if (!this.post(`payment:${paymentId}`, b.postings)) return;
      b.items.forEach((i) => this.addItem(i));
      this.fact(merchantId).gross += gross;
      this.fact(merchantId).fee += b.booking.fee.minor;
    };
    this.payments.push({ paymentId, merchantId, gross, refunded: 0n });
    this.events.push(deliver);
    deliver();
  }

  refund(index: number, share: number): void {
    const p = this.payments[index % Math.max(1, this.payments.length)];
    if (!p) return;
    const amount = ((p.gross - p.refunded) * BigInt(share)) / 100n;
    if (amount <= 0n) return;
    p.refunded += amount;
    const refundId = `r${this.events.length}`;
    const refundedAt = new Date(`${this.today}T12:00:00+08:00`);
    const deliver = () => {
      const b = bookRefund({ refundId, merchantId: p.merchantId, amount: Money.of(amount, 'CNY'), refundedAt });
      if (!this.post(`refund:${refundId}`, b.postings)) return;
      this.addItem(b.item);
      this.fact(p.merchantId).refunds += amount;
    };
    this.events.push(deliver);
    deliver();
  }

  run(merchantId: string, asOf: string): void {
    const unsettled = [...this.items.values()].filter((i) => i.merchantId === merchantId && !i.settlementId);
    const dueReleases = unsettled.filter((i) => i.kind === 'reserve_release' && i.dueOn <= asOf);
    const owed = -this.balance(merchantPayable(merchantId)) + dueReleases.reduce((a, i) => a + i.amountMinor, 0n);
    const plan = planSettlement(unsettled, asOf, MERCHANTS[merchantId]!, owed);
    if (plan.kind !== 'pay') return;
    const id = `s${this.orders.length}`;
    for (const r of dueReleases) this.post(`reserve_release:${r.reference}`, postingsForReserveRelease(merchantId, Money.of(r.amountMinor, 'CNY')));
    this.post(`payout_sent:${id}`, postingsForPayoutSent(merchantId, Money.of(plan.totals.netMinor, 'CNY')));
    for (const i of plan.items) i.settlementId = id;
    this.orders.push({ id, merchantId, amount: plan.totals.netMinor, status: 'DUE', attempts: 0 });
  }

  /** One payout attempt as the worker makes it: ask first after an earlier attempt, then send. */
  attempt(index: number, outcome: PayoutOutcome, paidAnyway: boolean): void {
    const due = this.orders.filter((x) => x.status === 'DUE');
    const o = due[index % Math.max(1, due.length)];
    if (!o) return;
    o.attempts++;
    let result: PayoutOutcome;
    if (this.bank.has(o.id)) result = 'PAID';
    else if (outcome === 'PAID') {
      this.bank.set(o.id, o.amount);
      result = 'PAID';
    } else {
      // an unknown answer may hide a payment the bank made
      if (outcome === 'UNKNOWN' && paidAnyway) this.bank.set(o.id, o.amount);
      result = outcome;
    }
    const next = afterPayoutAttempt(result, o.attempts, ATTEMPTS_MAX);
    if (next.status === 'COMPLETED') {
      o.status = 'COMPLETED';
      this.post(`payout_paid:${o.id}`, postingsForPayoutPaid(Money.of(o.amount, 'CNY')));
    } else if (next.status === 'FAILED') {
      o.status = 'FAILED';
      this.post(`payout_reversed:${o.id}`, postingsForPayoutReversed(o.merchantId, Money.of(o.amount, 'CNY')));
      this.addItem(payoutReversalItem({ settlementId: o.id, merchantId: o.merchantId, amount: Money.of(o.amount, 'CNY'), reversedAt: new Date(`${this.today}T12:00:00+08:00`) }));
    }
  }

  /** Every settlement sent is paid (the bank recovers), then every merchant is settled once more. */
  finish(asOf: string): void {
    for (let round = 0; round < 3; round++) {
      for (const m of MERCHANT_IDS) this.run(m, asOf);
      while (this.orders.some((o) => o.status === 'DUE')) this.attempt(0, 'PAID', false);
    }
  }
}

describe('settlement reference model (property)', () => {
  it(`for ${SEQUENCES} random sequences of up to ${STEPS_MAX} payments, refunds, runs, payout failures and redeliveries`, () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: STEPS_MAX, size: 'max' }), (steps) => {
        const ref = new Reference();
        for (const s of steps) {
          if (s.op === 'pay') ref.pay(MERCHANT_IDS[s.merchant]!, s.amount, s.channel, s.minute);
          else if (s.op === 'refund') ref.refund(s.payment, s.share);
          else if (s.op === 'redeliver') ref.events[s.event % Math.max(1, ref.events.length)]?.();
          else if (s.op === 'run') ref.run(MERCHANT_IDS[s.merchant]!, ref.today);
          else if (s.op === 'payout') ref.attempt(s.order, s.outcome, s.paidAnyway);
          else ref.today = addDays(ref.today, 1);
        }
        // past every T+N due date (the Spring Festival included), short of the 90-day reserve hold
        const settleAsOf = addDays(ref.today, 30);
        ref.finish(settleAsOf);

        // the ledger sums to zero per currency, transaction by transaction
        const all = [...ref.transactions.values()].flat();
        expect(isBalanced(all)).toBe(true);
        // the bank paid each settlement at most once, and what left the bank account is what it paid
        const bankPaid = [...ref.bank.values()].reduce((a, v) => a + v, 0n);
        expect(-ref.balance(BANK_SETTLEMENT_ACCOUNT)).toBe(bankPaid);
        for (const m of MERCHANT_IDS) {
          const f = ref.fact(m);
          const paid = ref.orders.filter((o) => o.merchantId === m && ref.bank.has(o.id)).reduce((a, o) => a + o.amount, 0n);
          const reserveHeld = -ref.balance(merchantReserve(m));
          const owedLeft = -ref.balance(merchantPayable(m));
          // payouts = gross - fees - refunds - reserve held, less what is still owed (a positive
          // amount below the minimum payout) or plus the negative balance carried forward
          expect(paid).toBe(f.gross - f.fee - f.refunds - reserveHeld - owedLeft);
          expect(owedLeft < MERCHANTS[m]!.payoutMinMinor || owedLeft <= 0n).toBe(true);
          // unsettled items account for exactly what the payable holds
          const unsettled = [...ref.items.values()].filter((i) => i.merchantId === m && !i.settlementId && i.kind !== 'reserve_release');
          expect(unsettled.reduce((a, i) => a + i.amountMinor, 0n)).toBe(owedLeft);
          // no reserve is released that was not held, and none is held after its release date
          expect(reserveHeld >= 0n).toBe(true);
        }
        // no settlement in flight is left over
        expect(ref.balance('payouts_in_flight')).toBe(0n);
      }),
      { numRuns: SEQUENCES },
    );
  });
});
