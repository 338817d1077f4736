import fc from 'fast-check';
import { BillChannel, BillRow, BillTrade } from './bill-types';
import { formatBeijingTime } from './beijing-time';

/**
 * Random trades for the bill specs' property tests (test support only; not exported from the library).
 * Every trade falls on BILL_DATE in Beijing time, with whole seconds, since the bills print seconds.
 */
export const BILL_DATE = '2024-03-05';
/** 2024-03-05 00:00:00 in Beijing is 2024-03-04 16:00:00 UTC. */
export const BILL_DAY_START_MS = Date.UTC(2024, 2, 4, 16, 0, 0);
const SECONDS_PER_DAY = 24 * 60 * 60;
const MS_PER_SECOND = 1000;
export const MAX_AMOUNT_FEN = 10n ** 12n;

const subjects = fc.oneof(
  fc.constantFrom('测试商品', 'iPhone 16, 256G', '含"引号"和,逗号', '两行\r\n名称', 'emoji 😀 and snowman ☃', '', '#不是注释'),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
);

export function billTradeArbitrary(channel: BillChannel): fc.Arbitrary<BillTrade> {
  return fc
    .record({
      kind: fc.constantFrom<BillTrade['kind']>('payment', 'refund'),
      outTradeNo: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
      channelTradeNo: fc.stringMatching(/^[0-9]{16,32}$/),
      amountMinor: fc.bigInt({ min: 1n, max: MAX_AMOUNT_FEN }),
      feeMinor: fc.bigInt({ min: 0n, max: 10n ** 10n }),
      subject: subjects,
      second: fc.integer({ min: 0, max: SECONDS_PER_DAY - 1 }),
      outRefundNo: fc.stringMatching(/^R[A-Za-z0-9]{1,31}$/),
      channelRefundNo: fc.stringMatching(/^50[0-9]{20,28}$/),
    })
    .map((r) => ({
      channel,
      outTradeNo: r.outTradeNo,
      channelTradeNo: r.channelTradeNo,
      merchantId: 'M100',
      amountMinor: r.amountMinor,
      currency: 'CNY',
      subject: r.subject,
      paidAt: new Date(BILL_DAY_START_MS + r.second * MS_PER_SECOND),
      kind: r.kind,
      feeMinor: r.feeMinor,
      ...(r.kind === 'refund' ? { outRefundNo: r.outRefundNo, ...(channel === 'wechatpay' ? { channelRefundNo: r.channelRefundNo } : {}) } : {}),
    }));
}

/** The row a reader should give back for a trade. */
export function expectedRow(t: BillTrade): BillRow {
  const row: BillRow = { channelTradeNo: t.channelTradeNo, outTradeNo: t.outTradeNo, kind: t.kind, amountMinor: t.amountMinor, feeMinor: t.feeMinor, paidAt: formatBeijingTime(t.paidAt) };
  if (t.kind === 'refund') {
    row.outRefundNo = t.outRefundNo;
    if (t.channelRefundNo) row.channelRefundNo = t.channelRefundNo;
  }
  return row;
}

export function sumOf(trades: readonly BillTrade[], kind: BillTrade['kind'], pick: (t: BillTrade) => bigint): bigint {
  return trades.filter((t) => t.kind === kind).reduce((acc, t) => acc + pick(t), 0n);
}

/** A trade for the example-based specs. */
export function billTrade(over: Partial<BillTrade> & Pick<BillTrade, 'channel'>): BillTrade {
  return {
    outTradeNo: 'ORD-1',
    channelTradeNo: '2024030522001400000000000001',
    merchantId: 'M100',
    amountMinor: 12345n,
    currency: 'CNY',
    subject: '测试商品',
    paidAt: new Date(BILL_DAY_START_MS + 10 * 60 * 60 * MS_PER_SECOND + 5 * MS_PER_SECOND),
    kind: 'payment',
    feeMinor: 74n,
    ...over,
  };
}
