import { randomBytes, randomInt } from 'node:crypto';
import { beijingCompactTime } from '@paystream/shared/channel-protocols';
import type { BookedPayout, JournalEntry, SandboxJournal } from './sandbox-journal';
import { refundScenarioForAmount, scenarioForAmount, type SandboxScenario } from './sandbox-scenario';

export type SandboxChannel = 'alipay' | 'wechatpay' | 'unionpay';

/**
 * How a channel's charge completes: `sync` (Alipay barcode pay: the answer carries the result) or
 * `async` (WeChat Pay Native, UnionPay consume: the answer says "created / accepted", the buyer or
 * the bank completes it afterwards, and the notification or a query tells).
 */
export type ChargeMode = 'sync' | 'async';

export interface ChargeRequest {
  channel: SandboxChannel;
  outTradeNo: string;
  merchantId: string;
  amountMinor: bigint;
  currency: string;
  subject: string;
  notifyUrl?: string;
  mode: ChargeMode;
}

export type TradeState = 'PROCESSING' | 'SUCCESS' | 'DECLINED' | 'CLOSED';

export interface Trade {
  channel: SandboxChannel;
  outTradeNo: string;
  merchantId: string;
  amountMinor: bigint;
  currency: string;
  subject: string;
  state: TradeState;
  channelTradeNo: string;
  scenario: SandboxScenario;
  notifyUrl?: string;
  createdAt: Date;
  paidAt?: Date;
  declineCode?: 'INSUFFICIENT_FUNDS';
}

export type ChargeAnswer = { kind: 'answer'; trade: Trade; holdMs: number; repeated: boolean } | { kind: 'error' };

/** A notification the channel owes the merchant: what it reports, and whether to send it twice. */
export interface NotificationDue {
  trade: Trade;
  /** SUCCESS for a paid trade; WAIT_BUYER_PAY for the stale in-process notice of scenario 54. */
  reports: 'SUCCESS' | 'WAIT_BUYER_PAY';
}

export interface RefundRequest {
  outRefundNo: string;
  outTradeNo: string;
  amountMinor: bigint;
}

export type RefundRecord =
  | { status: 'SUCCESS'; outRefundNo: string; outTradeNo: string; refundNo: string; amountMinor: string; refundedAt: Date }
  /** Accepted (the amount is taken from what is left to refund), paid out later. */
  | { status: 'PROCESSING'; outRefundNo: string; outTradeNo: string; refundNo: string; amountMinor: string }
  | { status: 'FAILED'; outRefundNo: string; outTradeNo: string; code: 'TRADE_NOT_EXIST' | 'REFUND_AMOUNT_EXCEEDED' | 'REFUND_REJECTED'; message: string; amountMinor: string };

export interface PayoutRequest {
  payoutId: string;
  merchantId: string;
  /** The merchant's bank account; its last four digits pick a sandbox scenario (PAYOUT_SCENARIOS). */
  accountNo?: string;
  amountMinor: bigint;
  currency: string;
}

/** Account-number endings (last four digits) that make the sandbox bank refuse, error or hold a payout. */
export const PAYOUT_SCENARIOS = { refused: '4001', error: '4002', processing: '4003' } as const;

export type PayoutAnswer =
  | { status: 'PAID'; payoutId: string; payoutRef: string }
  | { status: 'PROCESSING'; payoutId: string }
  | { status: 'FAILED' | 'ERROR'; payoutId: string; code: string };

/** The channels' and the bank's books as they stand (ChannelSandbox.books). */
export interface SandboxBooksView {
  trades: Trade[];
  /** A refund's channel is its trade's (undefined for a refund of a trade the channel never had). */
  refunds: (RefundRecord & { channel: SandboxChannel | undefined })[];
  /** A refused payout carries no amount: the bank booked nothing but its refusal. */
  payouts: ({ payoutId: string; status: 'PAID' } & BookedPayout | { payoutId: string; status: 'FAILED'; code: string })[];
}

export interface SandboxTimings {
  /** How long a `..52` / `..56` charge holds its answer, so the caller times out (ms). */
  holdMs: number;
  /** How long the buyer takes to pay an async charge (scan, confirm) (ms). */
  payDelayMs: number;
}

/** How long after the first notification of `..54` its copy and the stale in-process notice follow (ms; over a second, so the copy is signed at another notify_time). */
export const SCENARIO_54_SECOND_NOTICE_DELAY_MS = 1_100;

/**
 * The channels' and the bank's books (an external system's state, not ours): charges are
 * idempotent by outTradeNo, refunds by outRefundNo and payouts by payoutId, as the real ones are.
 * Notifications are handed to `notify` (the emulator's sender signs, delivers and retries them).
 * In memory, or, given a journal, also on disk: every change is appended and the books are replayed
 * from it on construction, so trades, refunds and payouts survive a restart. Pending completions
 * (an async charge's buyer paying later) are timers and are not restored: a trade still PROCESSING
 * when the process stopped stays so until it is closed (a `..56` one is then found paid).
 * The stats' totals (charged, refunded, paid out, succeeded, declined, closed) count the restored
 * books; the request counters (requests, duplicates, errored) count this process's requests.
 */
export class ChannelSandbox {
  private readonly trades = new Map<string, Trade>();
  private readonly refunds = new Map<string, RefundRecord>();
  private readonly refundedByTrade = new Map<string, bigint>();
  private readonly payouts = new Map<string, BookedPayout>();
  private readonly payoutRefusals = new Map<string, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private counts = { requests: 0, succeeded: 0, declined: 0, errored: 0, duplicates: 0, closed: 0 };
  private chargedMinor = 0n;
  private payoutDuplicates = 0;
  private refundedMinor = 0n;
  private readonly outages = new Set<string>();

  constructor(
    private readonly timings: SandboxTimings,
    private readonly notify: (due: NotificationDue) => void = () => undefined,
    private readonly journal?: SandboxJournal,
  ) {
    if (journal) this.restore(journal);
  }

  charge(req: ChargeRequest): ChargeAnswer {
    this.counts.requests++;
    // a channel that is down answers nothing useful and records nothing
    if (this.outages.has(req.channel)) return this.errored();
    const seen = this.trades.get(req.outTradeNo);
    if (seen) {
      this.counts.duplicates++;
      return { kind: 'answer', trade: seen, holdMs: 0, repeated: true };
    }
    const scenario = scenarioForAmount(req.amountMinor);
    if (scenario === 'system-error') return this.errored();
    const trade: Trade = {
      channel: req.channel,
      outTradeNo: req.outTradeNo,
      merchantId: req.merchantId,
      amountMinor: req.amountMinor,
      currency: req.currency,
      subject: req.subject,
      state: 'PROCESSING',
      channelTradeNo: tradeNo(req.channel),
      scenario,
      createdAt: new Date(),
      ...(req.notifyUrl ? { notifyUrl: req.notifyUrl } : {}),
    };
    this.trades.set(req.outTradeNo, trade);
    this.record({ type: 'trade', trade });
    const { holdMs, payDelayMs } = this.timings;
    switch (scenario) {
      case 'hold-then-succeed':
        // paid at once, but the answer comes too late and no notification follows: only a query tells
        this.pay(trade, { notify: false });
        return { kind: 'answer', trade, holdMs, repeated: false };
      case 'notification-never-arrives':
        this.later(payDelayMs, () => this.pay(trade, { notify: false }));
        return { kind: 'answer', trade, holdMs: 0, repeated: false };
      case 'succeed-after-gateway-gave-up':
        // in process past the caller's patience; paid when the merchant tries to close it, or at last anyway
        this.later(holdMs * 3, () => this.pay(trade, { notify: true }));
        return { kind: 'answer', trade, holdMs, repeated: false };
      case 'succeed-notify-twice-out-of-order':
        // the notifications outrun the answer: the success twice, then a stale in-process notice
        this.pay(trade, { notify: true });
        this.later(SCENARIO_54_SECOND_NOTICE_DELAY_MS, () => {
          this.notify({ trade, reports: 'SUCCESS' });
          this.notify({ trade, reports: 'WAIT_BUYER_PAY' });
        });
        return { kind: 'answer', trade, holdMs: payDelayMs + 200, repeated: false };
      case 'decline-insufficient-funds':
        if (req.mode === 'sync') this.decline(trade);
        else this.later(payDelayMs, () => this.decline(trade));
        return { kind: 'answer', trade, holdMs: 0, repeated: false };
      default:
        if (req.mode === 'sync') this.pay(trade, { notify: true });
        else this.later(payDelayMs, () => this.pay(trade, { notify: true }));
        return { kind: 'answer', trade, holdMs: 0, repeated: false };
    }
  }

  query(outTradeNo: string): Trade | undefined {
    return this.trades.get(outTradeNo);
  }

  /**
   * Closes an unpaid trade: it can no longer be paid. A `..56` trade is paid just as the close
   * arrives (the buyer confirmed meanwhile), so the close finds it paid.
   */
  close(outTradeNo: string): 'CLOSED' | 'ALREADY_PAID' | 'NOT_FOUND' {
    const trade = this.trades.get(outTradeNo);
    if (!trade) return 'NOT_FOUND';
    if (trade.state === 'PROCESSING' && trade.scenario === 'succeed-after-gateway-gave-up') this.pay(trade, { notify: true });
    if (trade.state === 'SUCCESS') return 'ALREADY_PAID';
    if (trade.state === 'PROCESSING') {
      trade.state = 'CLOSED';
      this.counts.closed++;
      this.record({ type: 'trade', trade });
    }
    return 'CLOSED';
  }

  /**
   * Refunds (part of) a successful charge, idempotent by outRefundNo. The channel never refunds more
   * than it charged; a charge of ..57 succeeds but its refunds fail.
   */
  refund(req: RefundRequest): RefundRecord {
    const seen = this.refunds.get(req.outRefundNo);
    if (seen) return seen;
    const base = { outRefundNo: req.outRefundNo, outTradeNo: req.outTradeNo, amountMinor: req.amountMinor.toString() };
    const trade = this.trades.get(req.outTradeNo);
    let record: RefundRecord;
    if (!trade || trade.state !== 'SUCCESS') {
      record = { status: 'FAILED', ...base, code: 'TRADE_NOT_EXIST', message: 'no successful trade to refund' };
    } else if (trade.scenario === 'succeed-refund-fails') {
      record = { status: 'FAILED', ...base, code: 'REFUND_REJECTED', message: 'the channel rejected the refund' };
    } else {
      const refunded = this.refundedByTrade.get(req.outTradeNo) ?? 0n;
      if (refunded + req.amountMinor > trade.amountMinor) {
        record = { status: 'FAILED', ...base, code: 'REFUND_AMOUNT_EXCEEDED', message: `only ${trade.amountMinor - refunded} left to refund` };
      } else {
        this.refundedByTrade.set(req.outTradeNo, refunded + req.amountMinor);
        this.record({ type: 'refunded', outTradeNo: req.outTradeNo, refundedMinor: refunded + req.amountMinor });
        this.refundedMinor += req.amountMinor;
        const refundNo = trade.channel === 'unionpay' ? unionpayQueryId() : `RF${Date.now()}${randomBytes(4).toString('hex')}`;
        if (refundScenarioForAmount(req.amountMinor) === 'processing-then-succeed') {
          record = { status: 'PROCESSING', ...base, refundNo };
          this.later(this.timings.payDelayMs, () => this.completeRefund(req.outRefundNo));
        } else {
          record = { status: 'SUCCESS', ...base, refundNo, refundedAt: new Date() };
        }
      }
    }
    this.refunds.set(req.outRefundNo, record);
    this.record({ type: 'refund', refund: record });
    return record;
  }

  /** How long the answer to a refund of this amount is held: a `..52` refund is made, but its answer comes too late. */
  refundHoldMs(amountMinor: bigint): number {
    return refundScenarioForAmount(amountMinor) === 'refund-then-hold-answer' ? this.timings.holdMs : 0;
  }

  /** The channel's record of a refund, by the merchant's refund number (undefined: it never got it). */
  queryRefund(outRefundNo: string): RefundRecord | undefined {
    return this.refunds.get(outRefundNo);
  }

  /** The successful charges and refunds, for the daily bills. */
  billable(): { trades: Trade[]; refunds: (RefundRecord & { status: 'SUCCESS' })[] } {
    return {
      trades: [...this.trades.values()].filter((t) => t.state === 'SUCCESS'),
      refunds: [...this.refunds.values()].filter((r): r is RefundRecord & { status: 'SUCCESS' } => r.status === 'SUCCESS'),
    };
  }

  /** The charges that did not succeed (declined, closed, still in process): a planted status break bills one as paid. */
  unpaid(): Trade[] {
    return [...this.trades.values()].filter((t) => t.state !== 'SUCCESS');
  }

  /** Takes a channel down (every charge answers 5xx) or brings it back: for outage drills and breaker tests. */
  setOutage(channel: string, down: boolean): void {
    if (down) this.outages.add(channel);
    else this.outages.delete(channel);
  }

  channelsDown(): string[] {
    return [...this.outages].sort();
  }

  payout(req: PayoutRequest): { payoutId: string; payoutRef: string } {
    const seen = this.payouts.get(req.payoutId);
    if (seen) {
      this.payoutDuplicates++;
      return { payoutId: req.payoutId, payoutRef: seen.payoutRef };
    }
    const payoutRef = `BANK${Date.now()}${randomBytes(4).toString('hex').toUpperCase()}`;
    const payout: BookedPayout = { payoutRef, amountMinor: req.amountMinor, currency: req.currency, accountNo: req.accountNo };
    this.payouts.set(req.payoutId, payout);
    this.record({ type: 'payout', payoutId: req.payoutId, payout });
    return { payoutId: req.payoutId, payoutRef };
  }

  /**
   * A payout as the bank answers it, by the account's last four digits: `4001` refused
   * (FAILED, ACCOUNT_FROZEN, nothing paid), `4002` errors (ERROR / SYSTEM_ERROR, nothing paid), `4003`
   * accepted but PROCESSING (paid; a query says PAID), anything else paid at once.
   */
  payoutByAccount(req: PayoutRequest): PayoutAnswer {
    // a payoutId the bank paid stays paid: a repeat is answered as before, whatever the account's
    // scenario; one asking for another amount, currency or account is rejected, and nothing is paid
    const seen = this.payouts.get(req.payoutId);
    if (seen && (seen.amountMinor !== req.amountMinor || seen.currency !== req.currency || seen.accountNo !== req.accountNo)) {
      return { status: 'ERROR', payoutId: req.payoutId, code: 'PAYOUT_ID_REUSED' };
    }
    if (seen) return { status: 'PAID', ...this.payout(req) };
    const scenario = req.accountNo?.slice(-4);
    if (scenario === PAYOUT_SCENARIOS.refused) {
      this.payoutRefusals.set(req.payoutId, 'ACCOUNT_FROZEN');
      this.record({ type: 'payout_refused', payoutId: req.payoutId, code: 'ACCOUNT_FROZEN' });
      return { status: 'FAILED', payoutId: req.payoutId, code: 'ACCOUNT_FROZEN' };
    }
    if (scenario === PAYOUT_SCENARIOS.error) return { status: 'ERROR', payoutId: req.payoutId, code: 'SYSTEM_ERROR' };
    const paid = this.payout(req);
    return scenario === PAYOUT_SCENARIOS.processing ? { status: 'PROCESSING', payoutId: req.payoutId } : { status: 'PAID', ...paid };
  }

  /** The bank's record of a payout (undefined: it never got it, or errored before recording it). */
  queryPayout(payoutId: string): PayoutAnswer | undefined {
    const paid = this.payouts.get(payoutId);
    if (paid) return { status: 'PAID', payoutId, payoutRef: paid.payoutRef };
    const refused = this.payoutRefusals.get(payoutId);
    return refused ? { status: 'FAILED', payoutId, code: refused } : undefined;
  }

  /**
   * Everything the channels and the bank booked (not what any caller believes): every trade in
   * whatever state, every refund answered, every payout paid or refused. For an outside audit.
   */
  books(): SandboxBooksView {
    const payouts: SandboxBooksView['payouts'] = [...this.payouts].map(([payoutId, p]) => ({ payoutId, status: 'PAID' as const, ...p }));
    for (const [payoutId, code] of this.payoutRefusals) if (!this.payouts.has(payoutId)) payouts.push({ payoutId, status: 'FAILED', code });
    const refunds = [...this.refunds.values()].map((r) => ({ ...r, channel: this.trades.get(r.outTradeNo)?.channel }));
    return { trades: [...this.trades.values()], refunds, payouts };
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

  /** Forgets everything, on disk too. */
  reset(): void {
    this.journal?.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.outages.clear();
    this.trades.clear();
    this.refunds.clear();
    this.refundedByTrade.clear();
    this.refundedMinor = 0n;
    this.payouts.clear();
    this.payoutRefusals.clear();
    this.counts = { requests: 0, succeeded: 0, declined: 0, errored: 0, duplicates: 0, closed: 0 };
    this.chargedMinor = 0n;
    this.payoutDuplicates = 0;
  }

  /** Stops pending completions (shutdown). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private pay(trade: Trade, opts: { notify: boolean }): void {
    if (trade.state !== 'PROCESSING') return;
    trade.state = 'SUCCESS';
    trade.paidAt = new Date();
    this.counts.succeeded++;
    this.chargedMinor += trade.amountMinor;
    this.record({ type: 'trade', trade });
    if (opts.notify && trade.notifyUrl) this.notify({ trade, reports: 'SUCCESS' });
  }

  /** Pays out a refund accepted as processing (the amount was set aside at acceptance). */
  private completeRefund(outRefundNo: string): void {
    const r = this.refunds.get(outRefundNo);
    if (r?.status !== 'PROCESSING') return;
    const done: RefundRecord = { ...r, status: 'SUCCESS', refundedAt: new Date() };
    this.refunds.set(outRefundNo, done);
    this.record({ type: 'refund', refund: done });
  }

  private decline(trade: Trade): void {
    if (trade.state !== 'PROCESSING') return;
    trade.state = 'DECLINED';
    trade.declineCode = 'INSUFFICIENT_FUNDS';
    this.counts.declined++;
    this.record({ type: 'trade', trade });
  }

  private record(entry: JournalEntry): void {
    this.journal?.append(entry);
  }

  private restore(journal: SandboxJournal): void {
    const books = journal.load();
    journal.compact(books);
    for (const [no, trade] of books.trades) {
      this.trades.set(no, trade);
      if (trade.state === 'SUCCESS') {
        this.counts.succeeded++;
        this.chargedMinor += trade.amountMinor;
      }
      if (trade.state === 'DECLINED') this.counts.declined++;
      if (trade.state === 'CLOSED') this.counts.closed++;
    }
    for (const [no, refund] of books.refunds) {
      this.refunds.set(no, refund);
      if (refund.status !== 'FAILED') this.refundedMinor += BigInt(refund.amountMinor);
    }
    // a refund still processing when the process stopped is paid out now (its timer is gone)
    for (const [no, refund] of books.refunds) if (refund.status === 'PROCESSING') this.completeRefund(no);
    for (const [no, refunded] of books.refundedByTrade) this.refundedByTrade.set(no, refunded);
    for (const [id, payout] of books.payouts) this.payouts.set(id, payout);
    for (const [id, code] of books.payoutRefusals) this.payoutRefusals.set(id, code);
  }

  private errored(): ChargeAnswer {
    this.counts.errored++;
    return { kind: 'error' };
  }

  private later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}

const TRADE_NO_PREFIX: Record<Exclude<SandboxChannel, 'unionpay'>, string> = { alipay: '2026', wechatpay: '4200' };
/** A UnionPay queryId is 21 digits: Beijing yyyyMMddHHmmss and 7 more (its transaction file prints it fixed-width). */
const UNIONPAY_QUERY_ID_SERIAL_DIGITS = 7;

/** A channel trade number as the channel would issue it. */
export function tradeNo(channel: SandboxChannel): string {
  if (channel === 'unionpay') return unionpayQueryId();
  return `${TRADE_NO_PREFIX[channel]}${Date.now()}${randomBytes(5).toString('hex')}`;
}

function unionpayQueryId(): string {
  return `${beijingCompactTime()}${String(randomInt(10 ** UNIONPAY_QUERY_ID_SERIAL_DIGITS)).padStart(UNIONPAY_QUERY_ID_SERIAL_DIGITS, '0')}`;
}
