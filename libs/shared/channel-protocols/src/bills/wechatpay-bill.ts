import { createHash } from 'node:crypto';
import { BILL_CURRENCY, BillRow, BillTrade, assertAccountId, tradesForBill } from './bill-types';
import { formatBeijingTime, parseBeijingTime } from './beijing-time';
import { CSV_LINE_END, columnIndex, csvLine, parseCsv } from './csv';
import { BillFormatError, fenToYuan, yuanToFen } from './yuan';

/*
 * WeChat Pay's trade bill of type ALL, as GET /v3/bill/tradebill points to it (download_url, hash_type SHA1,
 * hash_value) and the download returns it: UTF-8 text, not compressed unless tar_type=GZIP is asked for.
 *
 * Confirmed in WeChat Pay's documentation (交易账单详细说明, pay.weixin.qq.com): the 27 detail columns and the
 * 7 summary columns of the ALL bill, comma-separated, a backtick before every field of the detail and the
 * summary data (not before the two header lines), 交易时间 as the payment's success time or the refund's
 * initiation time in yyyy-MM-dd HH:mm:ss, amounts in yuan, and the SHA1 hash_value of the download API.
 * Taken from public samples of real responses (WeChat's own cloud-hosting documentation, SDK test fixtures),
 * not from the specification: a payment row prints 0 as 微信退款单号 and 商户退款单号 and 0.00 in the refund
 * amounts; a refund row prints REFUND, 0.00 as 应结订单金额 and 订单金额, the refund in 退款金额 and 申请退款金额,
 * ORIGINAL and SUCCESS; 手续费 has five decimals (rounded to the fen, then three zeros) and is negative on a
 * refund, the fee returned; 总交易单数 counts payments and refunds; 手续费总金额 nets the two; lines end in CRLF.
 * Not confirmed: how a product name holding a comma is escaped (written per RFC 4180 here), whether the file
 * starts with a BOM (none is written; the reader drops one), 交易类型 (NATIVE here: a BillTrade does not say),
 * and 费率 (derived here from the fee and the amount, in basis points).
 */

export const WECHATPAY_TRADE_BILL_HEADER = [
  '交易时间', '公众账号ID', '商户号', '特约商户号', '设备号', '微信订单号', '商户订单号', '用户标识', '交易类型', '交易状态', '付款银行',
  '货币种类', '应结订单金额', '代金券金额', '微信退款单号', '商户退款单号', '退款金额', '充值券退款金额', '退款类型', '退款状态', '商品名称',
  '商户数据包', '手续费', '费率', '订单金额', '申请退款金额', '费率备注',
] as const;
export const WECHATPAY_TRADE_BILL_SUMMARY_HEADER = ['总交易单数', '应结订单总金额', '退款总金额', '充值券退款总金额', '手续费总金额', '订单总金额', '申请退款总金额'] as const;

/** WeChat puts a backtick before every data field so that Excel keeps long numbers as text. */
const FIELD_MARK = '`';
/** The fee is rounded to the fen and printed with three more zero decimals. */
const FEE_PADDING = '000';
const FEE_WITH_PADDING = /^(-?\d+\.\d{2})(\d{3})$/;
const TRADE_STATE: Record<BillTrade['kind'], string> = { payment: 'SUCCESS', refund: 'REFUND' };
/** 特约商户号 of a directly connected merchant. */
const NO_SUB_MERCHANT = '0';
/** What a payment row prints as its refund numbers. */
const NO_REFUND_NUMBER = '0';
const TRADE_TYPE_NATIVE = 'NATIVE';
const BANK_TYPE_OTHERS = 'OTHERS';
const REFUND_CHANNEL_ORIGINAL = 'ORIGINAL';
const REFUND_STATUS_SUCCESS = 'SUCCESS';
const ZERO_YUAN = '0.00';
const BASIS_POINTS_PER_UNIT = 10_000n;
const BASIS_POINTS_PER_PERCENT = 100n;

/** The bill's summary line, with the fee net of what refunds returned. */
export interface WechatpayBillTotals {
  /** 总交易单数: payment and refund rows together. */
  tradeCount: number;
  settlementTotalMinor: bigint;
  refundTotalMinor: bigint;
  rechargeCouponRefundTotalMinor: bigint;
  feeTotalMinor: bigint;
  orderTotalMinor: bigint;
  refundRequestTotalMinor: bigint;
}

/**
 * The ALL trade bill of one Beijing day (`yyyy-MM-dd`) for a merchant: the WeChat Pay trades of `trades`
 * of that day, in the order given. Throws (BillFormatError) on a trade no bill could carry.
 */
export function wechatpayTradeBill(date: string, appId: string, mchId: string, trades: readonly BillTrade[]): string {
  assertAccountId('appId', appId);
  assertAccountId('mchId', mchId);
  const selected = tradesForBill('wechatpay', date, trades);
  const payments = selected.filter((t) => t.kind === 'payment');
  const refunds = selected.filter((t) => t.kind === 'refund');
  const sum = (ts: readonly BillTrade[], pick: (t: BillTrade) => bigint) => ts.reduce((acc, t) => acc + pick(t), 0n);
  const paymentTotal = sum(payments, (t) => t.amountMinor);
  const refundTotal = sum(refunds, (t) => t.amountMinor);
  const feeTotal = sum(payments, (t) => t.feeMinor) - sum(refunds, (t) => t.feeMinor);
  const summary = [String(selected.length), fenToYuan(paymentTotal), fenToYuan(refundTotal), ZERO_YUAN, feeText(feeTotal), fenToYuan(paymentTotal), fenToYuan(refundTotal)];
  return [
    csvLine(WECHATPAY_TRADE_BILL_HEADER),
    ...selected.map((t) => csvLine(marked(detailRow(t, appId, mchId)))),
    csvLine(WECHATPAY_TRADE_BILL_SUMMARY_HEADER),
    csvLine(marked(summary)),
  ]
    .map((line) => line + CSV_LINE_END)
    .join('');
}

/** The detail rows of a trade bill, found by header name; amounts back in fen, refunds and their fees as positive amounts. */
export function readWechatpayTradeBill(text: string): BillRow[] {
  const { header, rows } = sections(text);
  const col = columnIndex(header, ['交易时间', '微信订单号', '商户订单号', '交易状态', '微信退款单号', '商户退款单号', '手续费', '订单金额', '申请退款金额']);
  return rows.map((cells) => {
    const get = (name: string) => cell(cells, col, name);
    const state = get('交易状态');
    const kind = state === TRADE_STATE.payment ? 'payment' : state === TRADE_STATE.refund ? 'refund' : undefined;
    if (!kind) throw new BillFormatError(`WeChat Pay 交易状态 not supported: ${JSON.stringify(state)}`);
    const amountMinor = yuanToFen(get(kind === 'payment' ? '订单金额' : '申请退款金额'));
    if (amountMinor <= 0n) throw new BillFormatError(`WeChat Pay ${state} row ${get('微信订单号')} has no positive amount`);
    const fee = feeToFen(get('手续费'));
    const paidAt = get('交易时间');
    parseBeijingTime(paidAt);
    const row: BillRow = { channelTradeNo: get('微信订单号'), outTradeNo: get('商户订单号'), kind, amountMinor, feeMinor: fee < 0n ? -fee : fee, paidAt };
    if (kind === 'refund') {
      row.outRefundNo = get('商户退款单号');
      const channelRefundNo = get('微信退款单号');
      if (channelRefundNo) row.channelRefundNo = channelRefundNo;
    }
    return row;
  });
}

/** The summary line of a trade bill, by header name. */
export function readWechatpayTradeBillTotals(text: string): WechatpayBillTotals {
  const { summaryHeader, summary } = sections(text);
  const col = columnIndex(summaryHeader, WECHATPAY_TRADE_BILL_SUMMARY_HEADER);
  const get = (name: string) => cell(summary, col, name);
  const tradeCount = Number(get('总交易单数'));
  if (!Number.isSafeInteger(tradeCount) || tradeCount < 0) throw new BillFormatError(`WeChat Pay 总交易单数 is not a count: ${get('总交易单数')}`);
  return {
    tradeCount,
    settlementTotalMinor: yuanToFen(get('应结订单总金额')),
    refundTotalMinor: yuanToFen(get('退款总金额')),
    rechargeCouponRefundTotalMinor: yuanToFen(get('充值券退款总金额')),
    feeTotalMinor: feeToFen(get('手续费总金额')),
    orderTotalMinor: yuanToFen(get('订单总金额')),
    refundRequestTotalMinor: yuanToFen(get('申请退款总金额')),
  };
}

/** The hash_value the v3 bill APIs return with download_url (hash_type SHA1): SHA1 of the downloaded bytes, hex. */
export function wechatpayBillHash(bill: string | Buffer): string {
  return createHash('sha1').update(typeof bill === 'string' ? Buffer.from(bill, 'utf8') : bill).digest('hex');
}

function detailRow(t: BillTrade, appId: string, mchId: string): string[] {
  const amount = fenToYuan(t.amountMinor);
  const payment = t.kind === 'payment';
  return [
    formatBeijingTime(t.paidAt),
    appId,
    mchId,
    NO_SUB_MERCHANT,
    '', // 设备号
    t.channelTradeNo,
    t.outTradeNo,
    '', // 用户标识: the emulator keeps no openid
    TRADE_TYPE_NATIVE,
    TRADE_STATE[t.kind],
    BANK_TYPE_OTHERS,
    BILL_CURRENCY,
    payment ? amount : ZERO_YUAN, // 应结订单金额
    ZERO_YUAN, // 代金券金额
    payment ? NO_REFUND_NUMBER : (t.channelRefundNo ?? ''),
    payment ? NO_REFUND_NUMBER : (t.outRefundNo ?? ''),
    payment ? ZERO_YUAN : amount, // 退款金额
    ZERO_YUAN, // 充值券退款金额
    payment ? '' : REFUND_CHANNEL_ORIGINAL,
    payment ? '' : REFUND_STATUS_SUCCESS,
    t.subject,
    '', // 商户数据包
    feeText(payment ? t.feeMinor : -t.feeMinor),
    rateText(t.feeMinor, t.amountMinor),
    payment ? amount : ZERO_YUAN, // 订单金额
    payment ? ZERO_YUAN : amount, // 申请退款金额
    '', // 费率备注
  ];
}

function marked(fields: readonly string[]): string[] {
  return fields.map((f) => FIELD_MARK + f);
}

function feeText(fen: bigint): string {
  return fenToYuan(fen) + FEE_PADDING;
}

/** A five-decimal fee back to fen; a fee below the fen (non-zero last three decimals) cannot be one and is refused. */
function feeToFen(text: string): bigint {
  const padded = FEE_WITH_PADDING.exec(text);
  if (!padded) return yuanToFen(text);
  if (padded[2] !== FEE_PADDING) throw new BillFormatError(`WeChat Pay fee below the fen: ${JSON.stringify(text)}`);
  return yuanToFen(padded[1]);
}

/** The fee as a percentage of the amount with two decimals, rounded half up: 6 fen on 10.00 yuan is "0.60%". */
function rateText(feeMinor: bigint, amountMinor: bigint): string {
  const basisPoints = (feeMinor * BASIS_POINTS_PER_UNIT * 2n + amountMinor) / (2n * amountMinor);
  return `${basisPoints / BASIS_POINTS_PER_PERCENT}.${(basisPoints % BASIS_POINTS_PER_PERCENT).toString().padStart(2, '0')}%`;
}

/** Header, detail rows, summary header and summary row, with the backticks taken off the data fields. */
function sections(text: string): { header: string[]; rows: string[][]; summaryHeader: string[]; summary: string[] } {
  const records = parseCsv(text);
  const summaryAt = records.findIndex((r) => r[0] === WECHATPAY_TRADE_BILL_SUMMARY_HEADER[0]);
  if (records.length === 0) throw new BillFormatError('WeChat Pay bill is empty');
  if (summaryAt < 1 || summaryAt + 1 >= records.length) throw new BillFormatError('WeChat Pay bill lacks its summary (总交易单数) lines');
  const unmark = (r: string[]) => r.map((f) => (f.startsWith(FIELD_MARK) ? f.slice(FIELD_MARK.length) : f));
  return {
    header: records[0],
    rows: records.slice(1, summaryAt).map(unmark),
    summaryHeader: records[summaryAt],
    summary: unmark(records[summaryAt + 1]),
  };
}

function cell(cells: readonly string[], col: Map<string, number>, name: string): string {
  const at = col.get(name);
  if (at === undefined || at >= cells.length) throw new BillFormatError(`WeChat Pay bill row lacks ${name}: ${cells.join(',')}`);
  return cells[at];
}
