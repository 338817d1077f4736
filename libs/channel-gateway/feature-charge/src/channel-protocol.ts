import type { ChannelAnswer } from '@paystream/channel-gateway/domain';

/** A charge as the protocol adapters send it. */
export interface ChargeCall {
  paymentId: string;
  merchantId: string;
  amountMinor: bigint;
  currency: string;
  subject: string;
  /** When the attempt was opened (UnionPay's txnTime, which its query must repeat). */
  createdAt: Date;
  /** The channel's token for the shopper's card (UnionPay token payments). */
  channelCardToken?: string;
}

/** A trade already sent, for query and close. */
export interface TradeRef {
  paymentId: string;
  createdAt: Date;
}

export interface RefundCall {
  refundId: string;
  paymentId: string;
  paymentCreatedAt: Date;
  channelTradeNo: string;
  amountMinor: bigint;
  /** The charge's whole amount (WeChat Pay asks for it with every refund). */
  totalMinor: bigint;
  currency: string;
  /** When the refund is sent (UnionPay's txnTime, which its query must repeat). */
  sentAt: Date;
}

/** A refund already sent, for its query. */
export interface RefundRef {
  refundId: string;
  paymentId: string;
  /** When it was sent (UnionPay's txnTime). */
  sentAt: Date;
}

/**
 * One channel's protocol: each call signs its request, verifies the answer's signature before
 * reading it, and translates it into the channel-neutral ChannelAnswer the outcome rules read.
 * An answer that does not verify counts as no answer (the outcome stays unknown and is queried).
 */
export interface ChannelProtocol {
  charge(c: ChargeCall, timeoutMs: number): Promise<ChannelAnswer>;
  query(t: TradeRef, timeoutMs: number): Promise<ChannelAnswer>;
  close(t: TradeRef, timeoutMs: number): Promise<ChannelAnswer>;
  refund(r: RefundCall, timeoutMs: number): Promise<ChannelAnswer>;
  /** Asks the channel how a refund ended, by the refund number it was sent with. */
  refundQuery(r: RefundRef, timeoutMs: number): Promise<ChannelAnswer>;
}
