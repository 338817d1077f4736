import type { Channel, ChargeOutcome, Currency, FailureReason, RiskDecision } from '@paystream/contracts';
import { canTransition, isOutcomeFinal, wasCaptured, type PaymentStatus } from './payment-status';

/** A payment as the domain sees it; amounts in bigint minor units with the currency beside them. */
export interface Payment {
  id: string;
  orderId: string;
  merchantId: string;
  userId: string;
  amountMinor: bigint;
  currency: Currency;
  /** The channel the order asked for, if any (part of the payment's terms). */
  requestedChannel: Channel | null;
  /** Pay by bank card: the token channel-gateway's POST /cards issued (never the card number). */
  cardToken: string | null;
  /** Shopper signals for risk (not terms: a retry from another network is the same payment). */
  deviceId: string | null;
  ipAddress: string | null;
  /** The channel that charged (the requested one, or the one routed to). */
  channel: Channel | null;
  subject: string;
  status: PaymentStatus;
  channelTradeNo: string | null;
  failure: FailureReason | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What upstream asks for: the terms one order's payment is made on. */
export interface PaymentTerms {
  orderId: string;
  merchantId: string;
  userId: string;
  amountMinor: bigint;
  currency: Currency;
  channel?: Channel | null;
  cardToken?: string | null;
}

/** Whether a repeated request for an order asks for the same payment (one order, one payment). */
export function sameTerms(payment: Payment, terms: PaymentTerms): boolean {
  return (
    payment.orderId === terms.orderId &&
    payment.merchantId === terms.merchantId &&
    payment.userId === terms.userId &&
    payment.amountMinor === terms.amountMinor &&
    payment.currency === terms.currency &&
    (terms.channel ?? null) === payment.requestedChannel &&
    (terms.cardToken ?? null) === payment.cardToken
  );
}

/**
 * Why an event about a payment must not move it: it names another order than the payment's (a result
 * routed to the wrong payment id). Undefined when it belongs. Such an event is dead-lettered, never applied.
 */
export function orderMismatch(payment: Payment, named: { orderId: string }): string | undefined {
  return named.orderId === payment.orderId ? undefined : `names order ${named.orderId}, but payment ${payment.id} is for order ${payment.orderId}`;
}

/** A state change the domain decided, with the reason kept in the payment's history. */
export type Transition =
  | { kind: 'move'; to: PaymentStatus; reason: string; failure?: FailureReason; channelTradeNo?: string; channel?: Channel }
  | { kind: 'ignore'; reason: string }
  | { kind: 'conflict'; reason: string };

/** The move a risk decision calls for. Decisions for a payment past risk are stale and ignored. */
export function onRiskDecision(payment: Payment, decision: RiskDecision, rejectReason?: FailureReason): Transition {
  const to: PaymentStatus = decision === 'approve' ? 'AUTHORIZING' : decision === 'reject' ? 'REJECTED' : 'IN_REVIEW';
  if (!canTransition(payment.status, to)) {
    return { kind: 'ignore', reason: `risk decision ${decision} arrived while ${payment.status}` };
  }
  return { kind: 'move', to, reason: `risk:${decision}`, failure: to === 'REJECTED' ? rejectReason : undefined };
}

/**
 * The move a charge result calls for. States only move forward and the first terminal outcome
 * wins: a later, different terminal outcome is a conflict to alert on, never applied.
 */
export function onChargeResult(
  payment: Payment,
  result: { outcome: ChargeOutcome; channel: Channel; channelTradeNo?: string; failure?: FailureReason },
): Transition {
  const to: PaymentStatus = result.outcome === 'succeeded' ? 'SUCCEEDED' : result.outcome === 'failed' ? 'FAILED' : 'UNKNOWN';
  if (canTransition(payment.status, to)) {
    return { kind: 'move', to, reason: `charge:${result.outcome}`, failure: result.failure, channelTradeNo: result.channelTradeNo, channel: result.channel };
  }
  if (isOutcomeFinal(payment.status)) {
    const agrees = (to === 'SUCCEEDED' && wasCaptured(payment.status)) || (to === 'FAILED' && payment.status === 'FAILED') || to === 'UNKNOWN';
    return agrees
      ? { kind: 'ignore', reason: `charge ${result.outcome} repeated while ${payment.status}` }
      : { kind: 'conflict', reason: `charge ${result.outcome} arrived after ${payment.status}` };
  }
  return { kind: 'ignore', reason: `charge ${result.outcome} arrived while ${payment.status}` };
}
