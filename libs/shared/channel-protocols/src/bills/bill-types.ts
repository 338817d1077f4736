import { isOnBeijingDay } from './beijing-time';
import { BILL_CURRENCY, BillFormatError } from './yuan';

export type BillChannel = 'alipay' | 'wechatpay' | 'unionpay';
export type BillKind = 'payment' | 'refund';

/**
 * One line of a channel's daily bill as the emulator knows it. Money is integer fen (bigint), never a float.
 * amountMinor is the positive amount of the payment or of the refund (the bills print refunds negative or in
 * refund columns; the sign lives in `kind`). feeMinor is the positive service fee the channel charged for a
 * payment, or returned with a refund (0 when none).
 * For a refund, channelTradeNo and outTradeNo are those of the refunded payment (Alipay and WeChat Pay print both;
 * UnionPay's file prints only the consume's queryId, so its refund rows read back with an empty outTradeNo).
 */
export interface BillTrade {
  channel: BillChannel;
  outTradeNo: string;
  channelTradeNo: string;
  merchantId: string;
  amountMinor: bigint;
  currency: string;
  subject: string;
  paidAt: Date;
  kind: BillKind;
  outRefundNo?: string;
  feeMinor: bigint;
  /** The channel's own refund number (WeChat Pay's 微信退款单号); Alipay's statement has no such column. */
  channelRefundNo?: string;
}

/** What the gateway reads back from a bill for reconciliation: the same amounts, to the fen, and the time as printed. */
export interface BillRow {
  channelTradeNo: string;
  /** Our order number; empty on a UnionPay refund, whose line names the refunded consume only by its queryId (channelTradeNo). */
  outTradeNo: string;
  kind: BillKind;
  amountMinor: bigint;
  feeMinor: bigint;
  /** Beijing time `yyyy-MM-dd HH:mm:ss`, as the bill prints it (parseBeijingTime gives the instant). */
  paidAt: string;
  outRefundNo?: string;
  channelRefundNo?: string;
}

export { BILL_CURRENCY };
/** Identifiers that go into file names and comment lines: letters, digits, underscore and hyphen only. */
const BILL_ACCOUNT_ID_PATTERN = /^[0-9A-Za-z_-]+$/;
/**
 * Trade and refund numbers: printable ASCII without the comma, quote and backtick that the bill formats use as
 * syntax, and without spaces, which the readers trim (Alipay pads numbers with a tab).
 */
const BILL_IDENTIFIER_PATTERN = /^[!#-+\--_a-~]*$/;

/**
 * The trades of one channel that belong in its bill for a Beijing day: a daily bill holds what completed that
 * day, as the channel's does, so the emulator can hand over everything it has. Throws on a trade that no bill
 * could print (wrong currency, non-positive amount, negative fee, refund without its number).
 */
export function tradesForBill(channel: BillChannel, billDate: string, trades: readonly BillTrade[]): BillTrade[] {
  const selected = trades.filter((t) => t.channel === channel && isOnBeijingDay(t.paidAt, billDate));
  selected.forEach(assertPrintable);
  return selected;
}

export function assertAccountId(what: string, id: string): void {
  if (!BILL_ACCOUNT_ID_PATTERN.test(id)) throw new BillFormatError(`${what} must be letters, digits, '_' or '-': ${JSON.stringify(id)}`);
}

function assertPrintable(t: BillTrade): void {
  const which = `${t.kind} ${t.outTradeNo}`;
  if (t.currency !== BILL_CURRENCY) throw new BillFormatError(`${which}: bills are in ${BILL_CURRENCY}, not ${t.currency}`);
  if (t.amountMinor <= 0n) throw new BillFormatError(`${which}: amountMinor must be positive, got ${t.amountMinor}`);
  if (t.feeMinor < 0n) throw new BillFormatError(`${which}: feeMinor must not be negative, got ${t.feeMinor}`);
  if (t.kind === 'refund' && !t.outRefundNo) throw new BillFormatError(`${which}: a refund needs its outRefundNo`);
  if (!t.outTradeNo || !t.channelTradeNo) throw new BillFormatError(`${which}: outTradeNo and channelTradeNo must not be empty`);
  for (const [field, value] of [['outTradeNo', t.outTradeNo], ['channelTradeNo', t.channelTradeNo], ['outRefundNo', t.outRefundNo ?? ''], ['channelRefundNo', t.channelRefundNo ?? '']] as const) {
    if (!BILL_IDENTIFIER_PATTERN.test(value)) throw new BillFormatError(`${which}: ${field} holds a character bills cannot carry: ${JSON.stringify(value)}`);
  }
}
