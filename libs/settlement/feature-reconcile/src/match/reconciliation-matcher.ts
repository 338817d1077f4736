/*
 * The reconciliation matcher: one channel's bill for one Beijing day against our channel transactions
 * and the ledger. Pure: no I/O, no framework; the run handler feeds it and stores what it says.
 */

/** The four kinds of break, as stored, exposed over the API and labelled in metrics. */
export const BREAK_KINDS = ['missing_ours', 'missing_channel', 'amount_mismatch', 'status_mismatch'] as const;
export type BreakKind = (typeof BREAK_KINDS)[number];

export type EntryKind = 'payment' | 'refund';
/** Where the break shows: against our channel transactions (the gateway) or against the ledger. */
export type BreakSide = 'gateway' | 'ledger';

/** A row of the channel's bill (amounts in fen, always positive; the sign lives in `kind`). */
export interface ChannelBillEntry {
  kind: EntryKind;
  /** Our order number at the channel (the payment id without hyphens). */
  outTradeNo: string;
  channelTradeNo: string;
  /** For a refund, our refund number at the channel. */
  outRefundNo?: string;
  amountMinor: bigint;
}

export type OurStatus = 'SUCCEEDED' | 'FAILED' | 'UNKNOWN';

/** A channel transaction (payment) or channel refund as channel-gateway recorded it. */
export interface OurEntry {
  kind: EntryKind;
  /** The payment id, or for a refund the refund id: the ledger reference. */
  id: string;
  paymentId: string;
  /** The payment's order number at the channel. */
  outTradeNo: string;
  outRefundNo?: string;
  channelTradeNo: string | null;
  amountMinor: bigint;
  status: OurStatus;
  /** Whether the outcome belongs to the day being reconciled (it must then be on the day's bill if it succeeded). */
  onDay: boolean;
}

/** A ledger transaction for a payment or a refund: its id (payment id / refund id) and the gross amount booked. */
export interface LedgerBooking {
  kind: EntryKind;
  id: string;
  amountMinor: bigint;
  currency: string;
}

/** A refund the bill, our record and the ledger agree on: the channel netted it, so it is no longer in flight. */
export interface RefundToClear {
  refundId: string;
  amountMinor: bigint;
  currency: string;
}

export interface ReconciliationBreak {
  kind: BreakKind;
  side: BreakSide;
  entryKind: EntryKind;
  /** The number the break is known by: the out trade no of a payment, the out refund no of a refund. */
  reference: string;
  paymentId?: string;
  channelTradeNo?: string;
  channelAmountMinor?: bigint;
  ourAmountMinor?: bigint;
  ledgerAmountMinor?: bigint;
  ourStatus?: OurStatus;
  detail: string;
}

export interface ReconciliationReport {
  channelCount: number;
  channelAmountMinor: bigint;
  matchedCount: number;
  matchedAmountMinor: bigint;
  breaks: ReconciliationBreak[];
  /** The matched refunds, to be booked cleared (a refund in a break waits until a later run matches it). */
  refundsToClear: RefundToClear[];
}

/** The key an entry is matched by: the merchant-side number, which both sides print. */
function keyOf(e: { kind: EntryKind; outTradeNo: string; outRefundNo?: string }): string {
  return e.kind === 'payment' ? `payment:${e.outTradeNo}` : `refund:${e.outRefundNo ?? ''}`;
}

function referenceOf(e: { kind: EntryKind; outTradeNo: string; outRefundNo?: string }): string {
  return e.kind === 'payment' ? e.outTradeNo : (e.outRefundNo ?? '');
}

/**
 * Matches the bill against our side and the ledger. Every bill row is matched (by our number, or for a
 * payment by the channel's trade number) or reported: nothing of ours (missing_ours), ours not succeeded
 * (status_mismatch), a different amount (amount_mismatch), then the same against the ledger. Every success of
 * ours on the day that no bill row matched is missing_channel. A bill row printed twice is missing_ours the
 * second time (we took the money once). A success we learned of on the day that the channel billed the day before
 * (paid just before midnight, told just after) is on `dayBefore` and is no break. Every matched refund is to be
 * cleared: the channel netted it from what it cleared.
 */
export function reconcile(
  bill: readonly ChannelBillEntry[],
  ours: readonly OurEntry[],
  ledger: readonly LedgerBooking[],
  dayBefore: readonly ChannelBillEntry[] = [],
): ReconciliationReport {
  const ourByKey = new Map<string, OurEntry>();
  const ourByTradeNo = new Map<string, OurEntry>();
  for (const o of ours) {
    ourByKey.set(keyOf(o), o);
    if (o.kind === 'payment' && o.channelTradeNo) ourByTradeNo.set(o.channelTradeNo, o);
  }
  const ledgerById = new Map(ledger.map((l) => [`${l.kind}:${l.id}`, l]));
  const seen = new Set<OurEntry>();
  const billedDayBefore = new Set(dayBefore.map(keyOf));
  const breaks: ReconciliationBreak[] = [];
  let channelAmountMinor = 0n;
  let matchedCount = 0;
  let matchedAmountMinor = 0n;
  const refundsToClear: RefundToClear[] = [];

  for (const row of bill) {
    channelAmountMinor += row.amountMinor;
    const base = { entryKind: row.kind, reference: referenceOf(row), channelTradeNo: row.channelTradeNo, channelAmountMinor: row.amountMinor };
    const our = ourByKey.get(keyOf(row)) ?? (row.kind === 'payment' ? ourByTradeNo.get(row.channelTradeNo) : undefined);
    if (!our) {
      breaks.push({ ...base, kind: 'missing_ours', side: 'gateway', detail: `the channel billed a ${row.kind} we have no record of` });
      continue;
    }
    const withOurs = { ...base, paymentId: our.paymentId, ourAmountMinor: our.amountMinor, ourStatus: our.status };
    if (seen.has(our)) {
      breaks.push({ ...withOurs, kind: 'missing_ours', side: 'gateway', detail: `the channel billed this ${row.kind} more than once` });
      continue;
    }
    seen.add(our);
    if (our.status !== 'SUCCEEDED') {
      breaks.push({ ...withOurs, kind: 'status_mismatch', side: 'gateway', detail: `the channel billed the ${row.kind} as successful, we recorded it ${our.status}` });
      continue;
    }
    if (our.amountMinor !== row.amountMinor) {
      breaks.push({ ...withOurs, kind: 'amount_mismatch', side: 'gateway', detail: `the channel billed ${row.amountMinor} fen, we recorded ${our.amountMinor} fen` });
      continue;
    }
    const booked = ledgerById.get(`${our.kind}:${our.id}`);
    if (!booked) {
      breaks.push({ ...withOurs, kind: 'missing_ours', side: 'ledger', detail: `the ${row.kind} succeeded at the channel and with us but is not booked in the ledger` });
      continue;
    }
    if (booked.amountMinor !== row.amountMinor) {
      breaks.push({ ...withOurs, kind: 'amount_mismatch', side: 'ledger', ledgerAmountMinor: booked.amountMinor, detail: `the ledger booked ${booked.amountMinor} fen, the channel billed ${row.amountMinor} fen` });
      continue;
    }
    matchedCount++;
    matchedAmountMinor += row.amountMinor;
    if (row.kind === 'refund') refundsToClear.push({ refundId: our.id, amountMinor: booked.amountMinor, currency: booked.currency });
  }

  for (const our of ours) {
    if (seen.has(our) || !our.onDay || our.status !== 'SUCCEEDED' || billedDayBefore.has(keyOf(our))) continue;
    breaks.push({
      kind: 'missing_channel',
      side: 'gateway',
      entryKind: our.kind,
      reference: referenceOf(our),
      paymentId: our.paymentId,
      ...(our.channelTradeNo ? { channelTradeNo: our.channelTradeNo } : {}),
      ourAmountMinor: our.amountMinor,
      ourStatus: our.status,
      detail: `we recorded a successful ${our.kind} the channel's bill does not list`,
    });
  }
  return { channelCount: bill.length, channelAmountMinor, matchedCount, matchedAmountMinor, breaks, refundsToClear };
}

/** Counts of breaks by kind, every kind present (zero when none). */
export function breaksByKind(breaks: readonly Pick<ReconciliationBreak, 'kind'>[]): Record<BreakKind, number> {
  const counts = Object.fromEntries(BREAK_KINDS.map((k) => [k, 0])) as Record<BreakKind, number>;
  for (const b of breaks) counts[b.kind]++;
  return counts;
}
