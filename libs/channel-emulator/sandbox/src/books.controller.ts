import { Controller, Get, Inject } from '@nestjs/common';
import { Allow } from '@paystream/shared/auth';
import { ChannelSandbox, type SandboxBooksView } from './channel-sandbox';

/** A charge as the channel booked it (amounts as decimal strings). */
export interface BooksCharge {
  channel: string;
  outTradeNo: string;
  amountMinor: string;
  currency: string;
  /** PROCESSING, SUCCESS (captured), DECLINED or CLOSED. */
  status: string;
  paidAt?: string;
}

/** A refund the channel took: SUCCESS (money went back), PROCESSING (it will go back) or FAILED (nothing moved). */
export interface BooksRefund {
  channel: string | null;
  outTradeNo: string;
  outRefundNo: string;
  amountMinor: string;
  status: 'SUCCESS' | 'PROCESSING' | 'FAILED';
}

/** A payout the bank paid (PAID), or refused (FAILED: nothing paid, amountMinor "0", the bank's code). */
export interface BooksPayout {
  payoutId: string;
  amountMinor: string;
  currency?: string;
  status: 'PAID' | 'FAILED';
  accountLast4?: string;
  code?: string;
}

export interface BooksView {
  charges: BooksCharge[];
  refunds: BooksRefund[];
  payouts: BooksPayout[];
}

/** The sandbox's books as JSON: what the outside world really charged, refunded and paid out. */
export function booksJson(books: SandboxBooksView): BooksView {
  return {
    charges: books.trades.map((t) => ({
      channel: t.channel,
      outTradeNo: t.outTradeNo,
      amountMinor: t.amountMinor.toString(),
      currency: t.currency,
      status: t.state,
      ...(t.paidAt ? { paidAt: t.paidAt.toISOString() } : {}),
    })),
    refunds: books.refunds.map((r) => ({ channel: r.channel ?? null, outTradeNo: r.outTradeNo, outRefundNo: r.outRefundNo, amountMinor: r.amountMinor, status: r.status })),
    payouts: books.payouts.map((p) =>
      p.status === 'PAID'
        ? { payoutId: p.payoutId, amountMinor: p.amountMinor.toString(), currency: p.currency, status: 'PAID', ...(p.accountNo ? { accountLast4: p.accountNo.slice(-4) } : {}) }
        : { payoutId: p.payoutId, amountMinor: '0', status: 'FAILED', code: p.code },
    ),
  };
}

/**
 * `GET /sandbox/books`: the channels' and the bank's own records, for the independent money
 * auditor (tools/auditor), which checks them against every service's database. Read-only; only the
 * last four digits of an account leave the sandbox.
 */
// the emulator stands in for the outside world (channels, bank, identity provider): its own protocols, no Paystream credentials
@Allow('public')
@Controller('sandbox/books')
export class BooksController {
  constructor(@Inject(ChannelSandbox) private readonly sandbox: ChannelSandbox) {}

  @Get()
  books(): BooksView {
    return booksJson(this.sandbox.books());
  }
}
