import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { RefundRecord, Trade } from './channel-sandbox';
import { scenarioForAmount } from './sandbox-scenario';

/** The journal's file in the state directory: one JSON record a line, appended as the books change. */
export const SANDBOX_JOURNAL_FILE = 'books.jsonl';

const LINE_FEED = 0x0a;

/** A paid payout as the bank books it. */
export interface BookedPayout {
  payoutRef: string;
  amountMinor: bigint;
  currency: string;
  /** The account paid (a payoutId reused for another account is refused). */
  accountNo: string | undefined;
}

/** One change to the channels' or the bank's books; replay keeps the last record per key. */
export type JournalEntry =
  | { type: 'trade'; trade: Trade }
  | { type: 'refund'; refund: RefundRecord }
  | { type: 'refunded'; outTradeNo: string; refundedMinor: bigint }
  | { type: 'payout'; payoutId: string; payout: BookedPayout }
  | { type: 'payout_refused'; payoutId: string; code: string };

/** The books a journal replays to: what ChannelSandbox keeps. */
export interface SandboxBooks {
  trades: Map<string, Trade>;
  refunds: Map<string, RefundRecord>;
  refundedByTrade: Map<string, bigint>;
  payouts: Map<string, BookedPayout>;
  payoutRefusals: Map<string, string>;
}

/** Why a line was skipped on load (the journal goes on without it). */
export interface JournalWarning {
  line: number;
  reason: string;
  /** The partial last line was cut from the file, so the next append starts on a line of its own. */
  truncated?: boolean;
}

/**
 * The sandbox's books on disk, so they survive a restart as a real channel's do: every change is appended
 * synchronously, in order, as a JSON line (amounts as decimal strings, dates ISO-8601); `load` replays the
 * file, the last record per key winning. A line that does not read (a crash mid-write leaves a partial last
 * line) is skipped with a warning, never fatal. No fsync: the emulator is a test double, a lost last record
 * is the same as a request that never arrived.
 */
export class SandboxJournal {
  readonly file: string;

  constructor(
    dir: string,
    private readonly warn: (warning: JournalWarning) => void = () => undefined,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, SANDBOX_JOURNAL_FILE);
  }

  load(): SandboxBooks {
    const books: SandboxBooks = { trades: new Map(), refunds: new Map(), refundedByTrade: new Map(), payouts: new Map(), payoutRefusals: new Map() };
    if (!existsSync(this.file)) return books;
    const bytes = readFileSync(this.file);
    const lines = bytes.toString('utf8').split('\n');
    const endsWithNewline = bytes.length === 0 || bytes[bytes.length - 1] === LINE_FEED;
    lines.forEach((text, index) => {
      if (text.trim() === '') return;
      const isPartialTail = index === lines.length - 1 && !endsWithNewline;
      const entry = decodeEntry(text);
      if (typeof entry === 'string') {
        if (isPartialTail) truncateSync(this.file, bytes.lastIndexOf(LINE_FEED) + 1);
        this.warn({ line: index + 1, reason: entry, ...(isPartialTail ? { truncated: true } : {}) });
        return;
      }
      if (isPartialTail) appendFileSync(this.file, '\n');
      apply(books, entry);
    });
    return books;
  }

  append(entry: JournalEntry): void {
    appendFileSync(this.file, `${JSON.stringify(encodeEntry(entry))}\n`);
  }

  /**
   * Rewrites the file as one record per key (what `load` returned), so it does not grow with every
   * change across restarts; written beside it and renamed over it, so a crash leaves the old file whole.
   */
  compact(books: SandboxBooks): void {
    const entries: JournalEntry[] = [
      ...[...books.trades.values()].map((trade): JournalEntry => ({ type: 'trade', trade })),
      ...[...books.refunds.values()].map((refund): JournalEntry => ({ type: 'refund', refund })),
      ...[...books.refundedByTrade].map(([outTradeNo, refundedMinor]): JournalEntry => ({ type: 'refunded', outTradeNo, refundedMinor })),
      ...[...books.payouts].map(([payoutId, payout]): JournalEntry => ({ type: 'payout', payoutId, payout })),
      ...[...books.payoutRefusals].map(([payoutId, code]): JournalEntry => ({ type: 'payout_refused', payoutId, code })),
    ];
    const next = `${this.file}.compacting`;
    writeFileSync(next, entries.map((e) => `${JSON.stringify(encodeEntry(e))}\n`).join(''));
    renameSync(next, this.file);
  }

  /** Empties the books on disk (the sandbox's reset). */
  clear(): void {
    writeFileSync(this.file, '');
  }
}

function apply(books: SandboxBooks, entry: JournalEntry): void {
  switch (entry.type) {
    case 'trade':
      books.trades.set(entry.trade.outTradeNo, entry.trade);
      return;
    case 'refund':
      books.refunds.set(entry.refund.outRefundNo, entry.refund);
      return;
    case 'refunded':
      books.refundedByTrade.set(entry.outTradeNo, entry.refundedMinor);
      return;
    case 'payout':
      books.payouts.set(entry.payoutId, entry.payout);
      return;
    case 'payout_refused':
      books.payoutRefusals.set(entry.payoutId, entry.code);
      return;
  }
}

function encodeEntry(entry: JournalEntry): unknown {
  switch (entry.type) {
    case 'trade': {
      const { scenario: _derived, amountMinor, createdAt, paidAt, ...rest } = entry.trade;
      return { type: 'trade', trade: { ...rest, amountMinor: amountMinor.toString(), createdAt: createdAt.toISOString(), ...(paidAt ? { paidAt: paidAt.toISOString() } : {}) } };
    }
    case 'refund':
      return { type: 'refund', refund: entry.refund.status === 'SUCCESS' ? { ...entry.refund, refundedAt: entry.refund.refundedAt.toISOString() } : entry.refund };
    case 'refunded':
      return { ...entry, refundedMinor: entry.refundedMinor.toString() };
    case 'payout':
      return { ...entry, payout: { ...entry.payout, amountMinor: entry.payout.amountMinor.toString() } };
    case 'payout_refused':
      return entry;
  }
}

const minor = z
  .string()
  .regex(/^-?\d+$/, 'an integer amount in minor units')
  .transform((s) => BigInt(s));
const instant = z
  .string()
  .datetime()
  .transform((s) => new Date(s));
const amountString = z.string().regex(/^-?\d+$/);
const channel = z.enum(['alipay', 'wechatpay', 'unionpay']);

const entrySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('trade'),
    trade: z.object({
      channel,
      outTradeNo: z.string().min(1),
      merchantId: z.string(),
      amountMinor: minor,
      currency: z.string(),
      subject: z.string(),
      state: z.enum(['PROCESSING', 'SUCCESS', 'DECLINED', 'CLOSED']),
      channelTradeNo: z.string(),
      notifyUrl: z.string().optional(),
      createdAt: instant,
      paidAt: instant.optional(),
      declineCode: z.literal('INSUFFICIENT_FUNDS').optional(),
    }),
  }),
  z.object({
    type: z.literal('refund'),
    refund: z.discriminatedUnion('status', [
      z.object({ status: z.literal('SUCCESS'), outRefundNo: z.string().min(1), outTradeNo: z.string(), refundNo: z.string(), amountMinor: amountString, refundedAt: instant }),
      z.object({ status: z.literal('PROCESSING'), outRefundNo: z.string().min(1), outTradeNo: z.string(), refundNo: z.string(), amountMinor: amountString }),
      z.object({ status: z.literal('FAILED'), outRefundNo: z.string().min(1), outTradeNo: z.string(), code: z.enum(['TRADE_NOT_EXIST', 'REFUND_AMOUNT_EXCEEDED', 'REFUND_REJECTED']), message: z.string(), amountMinor: amountString }),
    ]),
  }),
  z.object({ type: z.literal('refunded'), outTradeNo: z.string().min(1), refundedMinor: minor }),
  z.object({ type: z.literal('payout'), payoutId: z.string().min(1), payout: z.object({ payoutRef: z.string(), amountMinor: minor, currency: z.string().length(3), accountNo: z.string().optional() }).transform((p) => ({ ...p, accountNo: p.accountNo })) }),
  z.object({ type: z.literal('payout_refused'), payoutId: z.string().min(1), code: z.string() }),
]);

/** The entry a line records, or why it does not read. */
function decodeEntry(text: string): JournalEntry | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  const parsed = entrySchema.safeParse(json);
  if (!parsed.success) return `not a journal record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  const entry = parsed.data;
  if (entry.type !== 'trade') return entry;
  const { notifyUrl, paidAt, declineCode, ...trade } = entry.trade;
  // the scenario follows from the amount, as it did when the trade was charged
  return {
    type: 'trade',
    trade: { ...trade, scenario: scenarioForAmount(trade.amountMinor), ...(notifyUrl ? { notifyUrl } : {}), ...(paidAt ? { paidAt } : {}), ...(declineCode ? { declineCode } : {}) },
  };
}
