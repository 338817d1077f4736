import fc from 'fast-check';
import { checkLedger } from './ledger';
import { checkMerchantBalances } from './merchant-balances';
import { checkPayouts } from './payouts';
import type { AuditSnapshot, LedgerLine } from './snapshot';

type Command =
  | { kind: 'pay'; amountMinor: bigint; feeBps: bigint; reserveBps: bigint }
  | { kind: 'refund'; payment: number; percent: bigint }
  | { kind: 'release' }
  | { kind: 'settle'; outcome: 'paid' | 'reversed' | 'in-flight' };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('pay' as const), amountMinor: fc.bigInt({ min: 1n, max: 10_000_000n }), feeBps: fc.bigInt({ min: 0n, max: 300n }), reserveBps: fc.bigInt({ min: 0n, max: 2_000n }) }),
  fc.record({ kind: fc.constant('refund' as const), payment: fc.nat(), percent: fc.bigInt({ min: 1n, max: 100n }) }),
  fc.record({ kind: fc.constant('release' as const) }),
  fc.record({ kind: fc.constant('settle' as const), outcome: fc.constantFrom('paid' as const, 'reversed' as const, 'in-flight' as const) }),
);

type Books = Pick<AuditSnapshot, 'payments' | 'refunds' | 'paymentItems' | 'ledger' | 'settlements' | 'bankPayouts'>;

/**
 * A reference model of one merchant's money, written apart from the check: payments booked with a
 * fee and a reserve, refunds (clawed back when already paid out), reserve releases, and settlements
 * of whatever is owed that the bank pays, refuses (reversed) or has not answered yet.
 */
function play(commands: Command[]): Books {
  const books: Books = { payments: [], refunds: [], paymentItems: [], ledger: [], settlements: [], bankPayouts: [] };
  const post = (reference: string, lines: [string, bigint][]) => {
    const transactionId = `t${books.ledger.length}`;
    for (const [accountId, amountMinor] of lines) if (amountMinor !== 0n) books.ledger.push({ transactionId, kind: reference.split(':')[0]!, reference, accountId, amountMinor, currency: 'CNY' });
  };
  const balance = (account: string) => books.ledger.filter((l) => l.accountId === account).reduce((a, l) => a + l.amountMinor, 0n);
  const refundable: bigint[] = [];
  let n = 0;
  for (const c of commands) {
    const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
    if (c.kind === 'pay') {
      const fee = (c.amountMinor * c.feeBps + 5_000n) / 10_000n;
      const reserve = ((c.amountMinor - fee) * c.reserveBps) / 10_000n;
      books.payments.push({ id, orderId: `o-${n}`, merchantId: 'm-1', amountMinor: c.amountMinor, currency: 'CNY', status: 'SUCCEEDED' });
      books.paymentItems.push({ paymentId: id, merchantId: 'm-1', currency: 'CNY', feeMinor: fee });
      post(`payment:${id}`, [['channel_clearing:alipay', c.amountMinor], ['merchant_payable:m-1', -(c.amountMinor - fee - reserve)], ['merchant_reserve:m-1', -reserve], ['platform_fee_revenue', -fee]]);
      refundable.push(c.amountMinor);
    } else if (c.kind === 'refund' && refundable.length > 0) {
      const i = c.payment % refundable.length;
      const amount = (refundable[i]! * c.percent) / 100n;
      if (amount === 0n) continue;
      refundable[i]! -= amount;
      books.refunds.push({ id, paymentId: books.payments[i]!.id, amountMinor: amount, currency: 'CNY', status: 'SUCCEEDED' });
      post(`refund:${id}`, [['merchant_payable:m-1', amount], ['refunds_in_flight', -amount]]);
    } else if (c.kind === 'release') {
      const held = -balance('merchant_reserve:m-1');
      post(`reserve_release:${id}`, [['merchant_reserve:m-1', held], ['merchant_payable:m-1', -held]]);
    } else if (c.kind === 'settle') {
      const owed = -balance('merchant_payable:m-1');
      if (owed <= 0n) continue; // a negative balance carries forward
      post(`payout_sent:${id}`, [['merchant_payable:m-1', owed], ['payouts_in_flight', -owed]]);
      const status = c.outcome === 'paid' ? 'COMPLETED' : c.outcome === 'reversed' ? 'FAILED' : 'PAYING';
      books.settlements.push({ id, merchantId: 'm-1', currency: 'CNY', netMinor: owed, status, accountLast4: '0000' });
      if (c.outcome === 'paid') {
        books.bankPayouts.push({ payoutId: id, amountMinor: owed, currency: 'CNY', status: 'PAID', accountLast4: '0000' });
        post(`payout:${id}`, [['payouts_in_flight', owed], ['bank_settlement_account', -owed]]);
      }
      if (c.outcome === 'reversed') post(`payout_reversed:${id}`, [['payouts_in_flight', owed], ['merchant_payable:m-1', -owed]]);
    }
  }
  return books;
}

describe('merchant balances (property: any flow of payments, refunds, releases and settlements)', () => {
  it('hold for every consistent history, clawbacks and payouts in flight included', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        const books = play(commands);
        expect(checkLedger(books).violations).toEqual([]);
        expect(checkMerchantBalances(books)).toEqual([]);
        expect(checkPayouts(books).violations).toEqual([]);
      }),
    );
  });

  it('break when any merchant line is off by any amount, though every transaction still balances', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 40 }), fc.nat(), fc.bigInt({ min: -1_000_000n, max: 1_000_000n }).filter((d) => d !== 0n), (commands, pick, delta) => {
        const books = play(commands);
        const merchantLines = books.ledger.filter((l) => l.accountId.startsWith('merchant_'));
        fc.pre(merchantLines.length > 0);
        const line = merchantLines[pick % merchantLines.length]!;
        const skewed: LedgerLine[] = [{ ...line, amountMinor: delta }, { ...line, accountId: 'platform_fee_revenue', amountMinor: -delta }];
        const planted = { ...books, ledger: [...books.ledger, ...skewed] };
        expect(checkLedger(planted).violations).toEqual([]);
        expect(checkMerchantBalances(planted).map((v) => [v.code, v.ids])).toEqual([['MERCHANT_BALANCE_MISMATCH', ['m-1']]]);
      }),
    );
  });

  it('break when the bank paid a settlement another amount', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), fc.bigInt({ min: 1n, max: 1_000n }), (commands, delta) => {
        const books = play([...commands, { kind: 'pay', amountMinor: 10_000n, feeBps: 60n, reserveBps: 0n }, { kind: 'settle', outcome: 'paid' }]);
        fc.pre(books.settlements.at(-1)?.status === 'COMPLETED'); // not when a clawback still outweighs the payment
        const last = books.bankPayouts.at(-1)!;
        last.amountMinor += delta;
        expect(checkMerchantBalances(books).map((v) => v.code)).toEqual(['MERCHANT_BALANCE_MISMATCH']);
        expect(checkPayouts(books).violations.map((v) => [v.code, v.ids])).toEqual([['PAYOUT_AMOUNT_MISMATCH', [last.payoutId]]]);
      }),
    );
  });
});
