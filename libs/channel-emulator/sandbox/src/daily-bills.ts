import { randomBytes } from 'node:crypto';
import { beijingDayStart, isOnBeijingDay, tradesForBill, type BillTrade } from '@paystream/shared/channel-protocols';
import { tradeNo, type ChannelSandbox, type SandboxChannel, type Trade } from './channel-sandbox';

/** The channel fee the sandbox bills: 0.6 %, half up to the fen (settlement books the same rate). */
export const SANDBOX_FEE_BPS = 60n;
const BASIS_POINTS_PER_UNIT = 10_000n;
/** A fake row is dated this long after the day starts, so it lands on the day's bill. */
const FAKE_ROW_OFFSET_MS = 60 * 60 * 1000;
/** A planted amount break changes the billed amount by this much unless the request says the amount. */
const AMOUNT_BREAK_DELTA_MINOR = 1n;
/** A fake row bills this much unless the request says the amount. */
const FAKE_ROW_AMOUNT_MINOR = 8_888n;

export const BREAK_KINDS = ['missing_ours', 'missing_channel', 'amount_mismatch', 'status_mismatch'] as const;
export type PlantedBreakKind = (typeof BREAK_KINDS)[number];

export interface PlantBreakRequest {
  channel: SandboxChannel;
  /** The Beijing day of the bill, yyyy-MM-dd. */
  date: string;
  kind: PlantedBreakKind;
  /** The trade to break (missing_channel, amount_mismatch: a paid one; status_mismatch: an unpaid one); the first untouched one when absent. */
  outTradeNo?: string;
  /** The amount to bill (missing_ours: the fake row's; amount_mismatch: the changed amount). */
  amountMinor?: bigint;
}

/** What was planted, so a test can compare it with what reconciliation found. */
export interface PlantedBreak {
  id: string;
  channel: SandboxChannel;
  date: string;
  kind: PlantedBreakKind;
  outTradeNo: string;
  channelTradeNo: string;
  /** What the channel really charged (absent for a fake row). */
  actualAmountMinor?: bigint;
  /** What the bill now prints (absent for a dropped row). */
  billedAmountMinor?: bigint;
  plantedAt: Date;
  /** The row the bill gains (missing_ours, status_mismatch). */
  row?: BillTrade;
}

export type PlantError = { code: 'NO_TRADE_TO_BREAK' | 'TRADE_ALREADY_BROKEN'; message: string };

/**
 * The channels' daily bills as the sandbox prints them: the day's successful charges and refunds, altered by
 * the breaks planted for that channel and day. Planted breaks stay for every later download of that bill (so the
 * WeChat Pay hash and the file agree); reset clears them.
 */
export class DailyBills {
  private readonly breaks: PlantedBreak[] = [];

  constructor(private readonly sandbox: ChannelSandbox) {}

  /** The trades the bill of `channel` for the Beijing day `date` prints. */
  tradesFor(channel: SandboxChannel, date: string): BillTrade[] {
    let trades = tradesForBill(channel, date, this.realTrades(channel));
    for (const b of this.breaks.filter((p) => p.channel === channel && p.date === date)) {
      const isTarget = (t: BillTrade) => t.kind === 'payment' && t.outTradeNo === b.outTradeNo;
      if (b.kind === 'missing_channel') trades = trades.filter((t) => !isTarget(t));
      if (b.kind === 'amount_mismatch') trades = trades.map((t) => (isTarget(t) ? { ...t, amountMinor: b.billedAmountMinor!, feeMinor: feeOf(b.billedAmountMinor!) } : t));
      if (b.row) trades = [...trades, b.row];
    }
    return trades;
  }

  plant(req: PlantBreakRequest): PlantedBreak | PlantError {
    beijingDayStart(req.date); // throws on an impossible date: the controller validated the shape
    const broken = new Set(this.breaks.filter((p) => p.channel === req.channel && p.date === req.date).map((p) => p.outTradeNo));
    if (req.outTradeNo && broken.has(req.outTradeNo)) return { code: 'TRADE_ALREADY_BROKEN', message: `${req.outTradeNo} already has a planted break on this bill` };
    const base = { id: `brk_${randomBytes(6).toString('hex')}`, channel: req.channel, date: req.date, kind: req.kind, plantedAt: new Date() };
    let planted: PlantedBreak;
    if (req.kind === 'missing_ours') {
      const amountMinor = req.amountMinor ?? FAKE_ROW_AMOUNT_MINOR;
      const row: BillTrade = {
        channel: req.channel,
        outTradeNo: req.outTradeNo ?? randomBytes(16).toString('hex'),
        channelTradeNo: tradeNo(req.channel),
        merchantId: 'unknown',
        amountMinor,
        currency: 'CNY',
        subject: 'planted: a trade the merchant never made',
        paidAt: new Date(beijingDayStart(req.date).getTime() + FAKE_ROW_OFFSET_MS),
        kind: 'payment',
        feeMinor: feeOf(amountMinor),
      };
      planted = { ...base, outTradeNo: row.outTradeNo, channelTradeNo: row.channelTradeNo, billedAmountMinor: amountMinor, row };
    } else if (req.kind === 'status_mismatch') {
      const unpaid = this.sandbox.unpaid().filter((t) => t.channel === req.channel && isOnBeijingDay(t.createdAt, req.date) && !broken.has(t.outTradeNo));
      const target = req.outTradeNo ? unpaid.find((t) => t.outTradeNo === req.outTradeNo) : unpaid[0];
      if (!target) return { code: 'NO_TRADE_TO_BREAK', message: `no unpaid ${req.channel} trade of ${req.date}${req.outTradeNo ? ` numbered ${req.outTradeNo}` : ''} to bill as paid` };
      const row = paymentLine(target, target.createdAt);
      planted = { ...base, outTradeNo: target.outTradeNo, channelTradeNo: target.channelTradeNo, billedAmountMinor: target.amountMinor, row };
    } else {
      const paid = tradesForBill(req.channel, req.date, this.realTrades(req.channel)).filter((t) => t.kind === 'payment' && !broken.has(t.outTradeNo));
      const target = req.outTradeNo ? paid.find((t) => t.outTradeNo === req.outTradeNo) : paid[0];
      if (!target) return { code: 'NO_TRADE_TO_BREAK', message: `no paid ${req.channel} trade of ${req.date}${req.outTradeNo ? ` numbered ${req.outTradeNo}` : ''} to break` };
      const common = { ...base, outTradeNo: target.outTradeNo, channelTradeNo: target.channelTradeNo, actualAmountMinor: target.amountMinor };
      if (req.kind === 'missing_channel') planted = common;
      else {
        const billed = req.amountMinor ?? target.amountMinor + AMOUNT_BREAK_DELTA_MINOR;
        if (billed === target.amountMinor) return { code: 'NO_TRADE_TO_BREAK', message: `billing ${billed} fen would change nothing` };
        planted = { ...common, billedAmountMinor: billed };
      }
    }
    this.breaks.push(planted);
    return planted;
  }

  planted(filter: { channel?: string; date?: string } = {}): PlantedBreak[] {
    return this.breaks.filter((b) => (!filter.channel || b.channel === filter.channel) && (!filter.date || b.date === filter.date));
  }

  reset(): void {
    this.breaks.length = 0;
  }

  /** The channel's successful charges and refunds, as bill lines (before any planted break). */
  private realTrades(channel: SandboxChannel): BillTrade[] {
    const { trades, refunds } = this.sandbox.billable();
    const byNo = new Map(trades.map((t) => [t.outTradeNo, t]));
    const payments: BillTrade[] = trades
      .filter((t) => t.channel === channel)
      .map((t) => paymentLine(t, t.paidAt ?? t.createdAt));
    const refunded: BillTrade[] = refunds.flatMap((r) => {
      const t = byNo.get(r.outTradeNo);
      if (!t || t.channel !== channel) return [];
      const amountMinor = BigInt(r.amountMinor);
      return [{ channel, outTradeNo: t.outTradeNo, channelTradeNo: t.channelTradeNo, merchantId: t.merchantId, amountMinor, currency: t.currency, subject: t.subject, paidAt: r.refundedAt, kind: 'refund' as const, outRefundNo: r.outRefundNo, channelRefundNo: r.refundNo, feeMinor: feeOf(amountMinor) }];
    });
    return [...payments, ...refunded];
  }
}

/** A charge as its bill's payment line, paid at `paidAt`. */
function paymentLine(t: Trade, paidAt: Date): BillTrade {
  return { channel: t.channel, outTradeNo: t.outTradeNo, channelTradeNo: t.channelTradeNo, merchantId: t.merchantId, amountMinor: t.amountMinor, currency: t.currency, subject: t.subject, paidAt, kind: 'payment', feeMinor: feeOf(t.amountMinor) };
}

/** The sandbox's fee on an amount: SANDBOX_FEE_BPS, half up to the fen. */
export function feeOf(amountMinor: bigint): bigint {
  return (amountMinor * SANDBOX_FEE_BPS + BASIS_POINTS_PER_UNIT / 2n) / BASIS_POINTS_PER_UNIT;
}

/** A planted break as JSON (amounts as fen strings). */
export function plantedBreakJson(b: PlantedBreak) {
  const { row: _row, actualAmountMinor, billedAmountMinor, plantedAt, ...rest } = b;
  return {
    ...rest,
    ...(actualAmountMinor !== undefined ? { actualAmountMinor: actualAmountMinor.toString() } : {}),
    ...(billedAmountMinor !== undefined ? { billedAmountMinor: billedAmountMinor.toString() } : {}),
    plantedAt: plantedAt.toISOString(),
  };
}
