/**
 * What the auditor reads, as plain rows: the Kafka topics (from the beginning), every service's
 * database, and the emulator's books (the channels' and the bank's own records). The checks take
 * these and nothing else, so they are pure and tested on hand-made snapshots.
 */

/** A payment.requested.v1 event (ce_id and the fields that name the order). */
export interface RequestedEvent {
  eventId: string;
  orderId: string;
  merchantId: string;
  amountMinor: bigint;
  currency: string;
}

/**
 * What names one order: order ids are unique per merchant only (docs/design/trust-boundary.md
 * section 6), so two merchants' same order id are two orders.
 */
export function orderKey(o: { merchantId: string; orderId: string }): string {
  return `${o.merchantId}/${o.orderId}`;
}

/** A payment.succeeded.v1 or payment.failed.v1 event. */
export interface OutcomeEvent {
  eventId: string;
  outcome: 'succeeded' | 'failed';
  orderId: string;
  merchantId: string;
  paymentId: string;
  amountMinor: bigint;
  currency: string;
  channelTradeNo?: string;
}

/** order-payment's payment row. */
export interface PaymentRow {
  id: string;
  orderId: string;
  merchantId: string;
  amountMinor: bigint;
  currency: string;
  status: string;
}

/** order-payment's refund row. */
export interface RefundRow {
  id: string;
  paymentId: string;
  amountMinor: bigint;
  currency: string;
  status: 'REQUESTED' | 'SUCCEEDED' | 'FAILED';
}

/** channel-gateway's channel_transaction row: which payment (and order) a channel order number charges. */
export interface GatewayTransactionRow {
  paymentId: string;
  orderId: string;
  merchantId: string;
  channel: string;
  amountMinor: bigint;
  currency: string;
  status: string;
}

/** A charge in the emulator's books; SUCCESS is money captured from the shopper. */
export interface ChannelCharge {
  channel: string;
  outTradeNo: string;
  amountMinor: bigint;
  currency: string;
  status: string;
}

/** A refund in the emulator's books; SUCCESS is money given back. */
export interface ChannelRefund {
  channel: string | null;
  outTradeNo: string;
  outRefundNo: string;
  amountMinor: bigint;
  status: string;
}

/** A payout in the emulator bank's books; PAID is money that left for the merchant. */
export interface BankPayout {
  payoutId: string;
  amountMinor: bigint;
  currency?: string;
  status: string;
  accountLast4?: string;
}

/** One ledger line with its transaction's kind and reference (debit positive). */
export interface LedgerLine {
  transactionId: string;
  kind: string;
  reference: string;
  accountId: string;
  amountMinor: bigint;
  currency: string;
}

/** settlement's settlement_item row for a payment: the fee it was booked with. */
export interface PaymentItemRow {
  paymentId: string;
  merchantId: string;
  currency: string;
  feeMinor: bigint;
}

/** settlement's settlement_batch row (the settlement order; its id is the bank payout id). */
export interface SettlementRow {
  id: string;
  merchantId: string;
  currency: string;
  netMinor: bigint;
  status: 'DUE' | 'PAYING' | 'COMPLETED' | 'FAILED' | string;
  accountLast4?: string;
}

/** Messages one consumer group has still to read on one partition. */
export interface GroupLag {
  group: string;
  topic: string;
  partition: number;
  lag: number;
}

/** An outbox row its service has not published. */
export interface UnpublishedOutboxRow {
  service: string;
  id: string;
  topic: string;
}

/** A message on a dead-letter topic. */
export interface DeadLetter {
  topic: string;
  /** Its ce_id header; undefined when it had none (that is why some are dead-lettered). */
  eventId?: string;
  /** Where it sits, for messages without a ce_id. */
  position: string;
  reason?: string;
}

export interface AuditSnapshot {
  requested: RequestedEvent[];
  outcomes: OutcomeEvent[];
  payments: PaymentRow[];
  refunds: RefundRow[];
  gatewayTransactions: GatewayTransactionRow[];
  channelCharges: ChannelCharge[];
  channelRefunds: ChannelRefund[];
  bankPayouts: BankPayout[];
  ledger: LedgerLine[];
  paymentItems: PaymentItemRow[];
  settlements: SettlementRow[];
  consumerLag: GroupLag[];
  unpublishedOutbox: UnpublishedOutboxRow[];
  deadLetters: DeadLetter[];
  deliberateDeadLetterIds: string[];
}

/** Payment statuses that mean the money was captured (a refund does not undo the capture). */
export const CAPTURED_STATUSES: readonly string[] = ['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'];
/** Payment statuses that mean the order failed for good. */
export const FAILED_STATUSES: readonly string[] = ['FAILED', 'REJECTED'];

/**
 * The payment (or refund) id a channel order number stands for: the gateway sends the uuid's 32
 * hex digits (channel-gateway's channelOrderNo), so this is its inverse; undefined for any other number.
 */
export function idOfOrderNo(orderNo: string): string | undefined {
  if (!/^[0-9a-fA-F]{32}$/.test(orderNo)) return undefined;
  const h = orderNo.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
