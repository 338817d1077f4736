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
  private readonly payouts = new Map<string, { payoutRef: string; amountMinor: bigint }>();
  private counts = { requests: 0, succeeded: 0, declined: 0, errored: 0, duplicates: 0 };
  private chargedMinor = 0n;
  private payoutDuplicates = 0;
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
      payouts: { count: this.payouts.size, duplicates: this.payoutDuplicates, paidMinor: paidMinor.toString() },
    };
  }

  reset(): void {
    this.outages.clear();
    this.charges.clear();
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
