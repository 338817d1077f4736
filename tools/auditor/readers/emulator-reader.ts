import { z } from 'zod';
import { describeIssues } from '@paystream/contracts';
import type { BankPayout, ChannelCharge, ChannelRefund } from '../checks/snapshot';

/** How long the emulator may take to answer GET /sandbox/books. */
const EMULATOR_BOOKS_TIMEOUT_MS = 30_000;

const minor = z.string().regex(/^-?\d+$/).transform((s) => BigInt(s));
const booksSchema = z.object({
  charges: z.array(z.object({ channel: z.string(), outTradeNo: z.string(), amountMinor: minor, currency: z.string(), status: z.string() })),
  refunds: z.array(z.object({ channel: z.string().nullable(), outTradeNo: z.string(), outRefundNo: z.string(), amountMinor: minor, status: z.string() })),
  payouts: z.array(z.object({ payoutId: z.string(), amountMinor: minor, currency: z.string().optional(), status: z.string(), accountLast4: z.string().optional() })),
});

export interface EmulatorBooks {
  channelCharges: ChannelCharge[];
  channelRefunds: ChannelRefund[];
  bankPayouts: BankPayout[];
}

/** The channels' and the bank's books, as the emulator keeps them (GET /sandbox/books). */
export async function readEmulatorBooks(emulatorUrl: string): Promise<EmulatorBooks> {
  const url = new URL('/sandbox/books', emulatorUrl);
  const res = await fetch(url, { signal: AbortSignal.timeout(EMULATOR_BOOKS_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`GET ${url.href} answered ${res.status}`);
  const parsed = booksSchema.safeParse(await res.json());
  if (!parsed.success) throw new Error(`GET ${url.href}: unexpected books: ${describeIssues(parsed.error.issues)}`);
  const { charges, refunds, payouts } = parsed.data;
  return {
    channelCharges: charges,
    channelRefunds: refunds,
    bankPayouts: payouts.map(({ currency, accountLast4, ...p }) => ({ ...p, ...(currency ? { currency } : {}), ...(accountLast4 ? { accountLast4 } : {}) })),
  };
}
