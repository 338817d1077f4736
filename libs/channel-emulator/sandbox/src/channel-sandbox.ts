import { randomBytes } from 'node:crypto';
import { scenarioForAmount } from './sandbox-scenario';

export interface ChargeRequest {
  outTradeNo: string;
  channel: string;
  merchantId: string;
  amountMinor: bigint;
  currency: string;
  subject: string;
}

export type ChargeRecord =
  | { status: 'SUCCESS'; outTradeNo: string; channelTradeNo: string; amountMinor: string; currency: string }
  | { status: 'DECLINED'; outTradeNo: string; code: 'INSUFFICIENT_FUNDS'; message: string; amountMinor: string; currency: string };

export type ChargeAnswer =
  | { kind: 'answer'; record: ChargeRecord; holdMs: number }
  | { kind: 'error' };

export interface RefundRequest {
  outRefundNo: string;
  outTradeNo: string;
  amountMinor: bigint;
}

export type RefundRecord =
  | { status: 'SUCCESS'; outRefundNo: string; outTradeNo: string; refundNo: string; amountMinor: string }
  | { status: 'FAILED'; outRefundNo: string; outTradeNo: string; code: 'TRADE_NOT_EXIST' | 'REFUND_AMOUNT_EXCEEDED' | 'REFUND_REJECTED'; message: string; amountMinor: string };

export interface PayoutRequest {
  payoutId: string;
  merchantId: string;
  amountMinor: bigint;
  currency: string;
}

/**
 * The channels' and the bank's books, in memory (an external system's state, not ours): charges
 * are idempotent by outTradeNo and payouts by payoutId, as the real channels are.
 */
export class ChannelSandbox {
  private readonly charges = new Map<string, ChargeRecord>();
  private readonly refunds = new Map<string, RefundRecord>();
  private readonly refundedByTrade = new Map<string, bigint>();
  private readonly payouts = new Map<string, { payoutRef: string; amountMinor: bigint }>();
  private counts = { requests: 0, succeeded: 0, declined: 0, errored: 0, duplicates: 0 };
  private chargedMinor = 0n;
  private payoutDuplicates = 0;
  private refundedMinor = 0n;
  private readonly outages = new Set<string>();

  constructor(private readonly holdMs: number) {}

  charge(req: ChargeRequest): ChargeAnswer {
    this.counts.requests++;
    if (this.outages.has(req.channel)) {
      // a channel that is down answers nothing useful and records nothing
      this.counts.errored++;
      return { kind: 'error' };
    }
    const seen = this.charges.get(req.outTradeNo);
    if (seen) {
      this.counts.duplicates++;
      return { kind: 'answer', record: seen, holdMs: 0 };
    }
    const scenario = scenarioForAmount(req.amountMinor);
    const money = { amountMinor: req.amountMinor.toString(), currency: req.currency };
    if (scenario === 'system-error') {
      this.counts.errored++;
      return { kind: 'error' };
    }
    let record: ChargeRecord;
    if (scenario === 'decline-insufficient-funds') {
      this.counts.declined++;
      record = { status: 'DECLINED', outTradeNo: req.outTradeNo, code: 'INSUFFICIENT_FUNDS', message: 'insufficient funds', ...money };
    } else {
      this.counts.succeeded++;
      this.chargedMinor += req.amountMinor;
      record = { status: 'SUCCESS', outTradeNo: req.outTradeNo, channelTradeNo: tradeNo(req.channel), ...money };
    }
    this.charges.set(req.outTradeNo, record);
    return { kind: 'answer', record, holdMs: scenario === 'hold-then-succeed' ? this.holdMs : 0 };
  }

  /**
   * Refunds (part of) a successful charge, idempotent by outRefundNo. The channel never refunds more
   * than it charged; a charge of ..57 succeeds but its refunds fail.
   */
  refund(req: RefundRequest): RefundRecord {
    const seen = this.refunds.get(req.outRefundNo);
    if (seen) return seen;
    const base = { outRefundNo: req.outRefundNo, outTradeNo: req.outTradeNo, amountMinor: req.amountMinor.toString() };
    const charge = this.charges.get(req.outTradeNo);
    let record: RefundRecord;
    if (!charge || charge.status !== 'SUCCESS') {
      record = { status: 'FAILED', ...base, code: 'TRADE_NOT_EXIST', message: 'no successful trade to refund' };
    } else if (scenarioForAmount(BigInt(charge.amountMinor)) === 'succeed-refund-fails') {
      record = { status: 'FAILED', ...base, code: 'REFUND_REJECTED', message: 'the channel rejected the refund' };
    } else {
      const refunded = this.refundedByTrade.get(req.outTradeNo) ?? 0n;
      if (refunded + req.amountMinor > BigInt(charge.amountMinor)) {
        record = { status: 'FAILED', ...base, code: 'REFUND_AMOUNT_EXCEEDED', message: `only ${BigInt(charge.amountMinor) - refunded} left to refund` };
      } else {
        this.refundedByTrade.set(req.outTradeNo, refunded + req.amountMinor);
        this.refundedMinor += req.amountMinor;
        record = { status: 'SUCCESS', ...base, refundNo: `RF${Date.now()}${randomBytes(4).toString('hex')}` };
      }
    }
    this.refunds.set(req.outRefundNo, record);
    return record;
  }

  /** Takes a channel down (every charge answers 5xx) or brings it back: for outage drills and breaker tests. */
  setOutage(channel: string, down: boolean): void {
    if (down) this.outages.add(channel);
    else this.outages.delete(channel);
  }

  /** The channels that are down. */
  channelsDown(): string[] {
    return [...this.outages].sort();
  }

  query(outTradeNo: string): ChargeRecord | undefined {
    return this.charges.get(outTradeNo);
  }

  payout(req: PayoutRequest): { payoutId: string; payoutRef: string } {
    const seen = this.payouts.get(req.payoutId);
    if (seen) {
      this.payoutDuplicates++;
      return { payoutId: req.payoutId, payoutRef: seen.payoutRef };
    }
    const payoutRef = `BANK${Date.now()}${randomBytes(4).toString('hex').toUpperCase()}`;
    this.payouts.set(req.payoutId, { payoutRef, amountMinor: req.amountMinor });
    return { payoutId: req.payoutId, payoutRef };
  }

  stats() {
    let paidMinor = 0n;
    for (const p of this.payouts.values()) paidMinor += p.amountMinor;
    return {
      charges: { ...this.counts },
      channelsDown: this.channelsDown(),
      chargedMinor: this.chargedMinor.toString(),
      refunds: { count: this.refunds.size, refundedMinor: this.refundedMinor.toString() },
      payouts: { count: this.payouts.size, duplicates: this.payoutDuplicates, paidMinor: paidMinor.toString() },
    };
  }

  reset(): void {
    this.outages.clear();
    this.charges.clear();
    this.refunds.clear();
    this.refundedByTrade.clear();
    this.refundedMinor = 0n;
    this.payouts.clear();
    this.counts = { requests: 0, succeeded: 0, declined: 0, errored: 0, duplicates: 0 };
    this.chargedMinor = 0n;
    this.payoutDuplicates = 0;
  }
}

const TRADE_NO_PREFIX: Record<string, string> = { alipay: '2026', wechatpay: '4200', unionpay: '6200' };

function tradeNo(channel: string): string {
  return `${TRADE_NO_PREFIX[channel] ?? '9000'}${Date.now()}${randomBytes(5).toString('hex')}`;
}
