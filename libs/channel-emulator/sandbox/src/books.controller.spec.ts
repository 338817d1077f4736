import { booksJson } from './books.controller';
import { ChannelSandbox, type ChargeRequest } from './channel-sandbox';

describe('the sandbox books (GET /sandbox/books)', () => {
  const charge = (outTradeNo: string, amountMinor: bigint): ChargeRequest => ({
    channel: 'alipay',
    outTradeNo,
    merchantId: 'm-1',
    amountMinor,
    currency: 'CNY',
    subject: 'tea',
    mode: 'sync',
  });
  let sandbox: ChannelSandbox;
  beforeEach(() => (sandbox = new ChannelSandbox({ holdMs: 10, payDelayMs: 10 })));
  afterEach(() => sandbox.stop());

  it('lists every charge in its state, every refund answered and every payout paid or refused, amounts as decimal strings', () => {
    sandbox.charge(charge('T-PAID', 10_000n));
    sandbox.charge(charge('T-DECLINED', 2_051n));
    sandbox.refund({ outRefundNo: 'R-1', outTradeNo: 'T-PAID', amountMinor: 4_000n });
    sandbox.refund({ outRefundNo: 'R-2', outTradeNo: 'T-PAID', amountMinor: 7_000n }); // beyond the capture: refused
    sandbox.payoutByAccount({ payoutId: 'P-1', merchantId: 'm-1', accountNo: '6222020000000000008', amountMinor: 5_000n, currency: 'CNY' });
    sandbox.payoutByAccount({ payoutId: 'P-2', merchantId: 'm-1', accountNo: '6222020000000004001', amountMinor: 6_000n, currency: 'CNY' });

    const books = booksJson(sandbox.books());

    expect(books.charges).toEqual([
      { channel: 'alipay', outTradeNo: 'T-PAID', amountMinor: '10000', currency: 'CNY', status: 'SUCCESS', paidAt: expect.any(String) },
      { channel: 'alipay', outTradeNo: 'T-DECLINED', amountMinor: '2051', currency: 'CNY', status: 'DECLINED' },
    ]);
    expect(books.refunds).toEqual([
      { channel: 'alipay', outTradeNo: 'T-PAID', outRefundNo: 'R-1', amountMinor: '4000', status: 'SUCCESS' },
      { channel: 'alipay', outTradeNo: 'T-PAID', outRefundNo: 'R-2', amountMinor: '7000', status: 'FAILED' },
    ]);
    expect(books.payouts).toEqual([
      { payoutId: 'P-1', amountMinor: '5000', currency: 'CNY', status: 'PAID', accountLast4: '0008' },
      { payoutId: 'P-2', amountMinor: '0', status: 'FAILED', code: 'ACCOUNT_FROZEN' },
    ]);
    // only the account's last four digits leave the sandbox
    expect(JSON.stringify(books)).not.toContain('6222020000000000008');
  });

  it('books a repeated payout id once', () => {
    const req = { payoutId: 'P-1', merchantId: 'm-1', accountNo: '6222020000000000008', amountMinor: 5_000n, currency: 'CNY' };
    sandbox.payoutByAccount(req);
    sandbox.payoutByAccount(req);
    expect(booksJson(sandbox.books()).payouts).toHaveLength(1);
  });
});
