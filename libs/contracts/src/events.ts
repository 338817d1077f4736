import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from './errors';
import { storableText } from './storable-text';
import {
  amountMinorSchema,
  cardTokenSchema,
  channelSchema,
  deviceIdSchema,
  currencySchema,
  externalIdSchema,
  ipAddressSchema,
  positiveAmountMinorSchema,
  signedAmountMinorSchema,
  timestampSchema,
  uuidSchema,
} from './primitives';
import { TOPICS, type TopicName } from './topics';
import { describeIssues } from './validation';

const errorCodeSchema = z
  .string()
  .refine((c): c is ErrorCode => Object.prototype.hasOwnProperty.call(ERROR_CODES, c), { message: 'unknown error code' });

export const failureReasonSchema = z.object({
  code: errorCodeSchema,
  message: storableText().min(1).max(500),
  retryable: z.boolean(),
});

/** What the checkout saw of the shopper (all optional): risk counts attempts per card, device and IP. */
const shopperSignalFields = {
  /** Pay by bank card: the token POST /cards issued (the card number never travels in an event). */
  cardToken: cardTokenSchema.optional(),
  /** The shopper's device fingerprint. */
  deviceId: deviceIdSchema.optional(),
  /** The shopper's IP address. */
  ipAddress: ipAddressSchema.optional(),
};

/** Who pays whom how much: the fields every payment-scoped event carries. */
const paymentPartyFields = {
  paymentId: uuidSchema,
  orderId: externalIdSchema,
  merchantId: externalIdSchema,
  userId: externalIdSchema,
  amountMinor: positiveAmountMinorSchema,
  currency: currencySchema,
};

// ---- public topics ----------------------------------------------------------------------------

export const paymentRequestedSchema = z.object({
  orderId: externalIdSchema,
  merchantId: externalIdSchema,
  userId: externalIdSchema,
  amountMinor: positiveAmountMinorSchema,
  currency: currencySchema,
  channel: channelSchema.optional(),
  ...shopperSignalFields,
  subject: storableText().min(1).max(256),
  requestedAt: timestampSchema,
});
export type PaymentRequested = z.infer<typeof paymentRequestedSchema>;

export const paymentSucceededSchema = z.object({
  ...paymentPartyFields,
  channel: channelSchema,
  channelTradeNo: storableText().min(1).max(64),
  succeededAt: timestampSchema,
});
export type PaymentSucceeded = z.infer<typeof paymentSucceededSchema>;

export const paymentFailedSchema = z.object({
  ...paymentPartyFields,
  channel: channelSchema.optional(),
  reason: failureReasonSchema,
  failedAt: timestampSchema,
});
export type PaymentFailed = z.infer<typeof paymentFailedSchema>;

export const paymentRefundedSchema = z.object({
  refundId: uuidSchema,
  paymentId: uuidSchema,
  orderId: externalIdSchema,
  merchantId: externalIdSchema,
  amountMinor: positiveAmountMinorSchema,
  currency: currencySchema,
  refundedAt: timestampSchema,
});
export type PaymentRefunded = z.infer<typeof paymentRefundedSchema>;

export const settlementDueSchema = z.object({
  settlementId: uuidSchema,
  merchantId: externalIdSchema,
  currency: currencySchema,
  grossMinor: amountMinorSchema,
  feeMinor: amountMinorSchema,
  refundMinor: amountMinorSchema,
  /** Held back as the merchant's rolling reserve, released by a later settlement (absent: none). */
  reserveHeldMinor: amountMinorSchema.optional(),
  reserveReleasedMinor: amountMinorSchema.optional(),
  /** Payouts that failed for good, paid again with this one (absent: none). */
  carriedMinor: amountMinorSchema.optional(),
  /** net = gross - fee - refund - reserveHeld + reserveReleased + carried */
  netMinor: signedAmountMinorSchema,
  paymentCount: z.number().int().nonnegative(),
  /** The China date (yyyy-MM-dd) the settlement was run as of. */
  asOf: storableText().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  periodStart: timestampSchema,
  periodEnd: timestampSchema,
  dueAt: timestampSchema,
});
export type SettlementDue = z.infer<typeof settlementDueSchema>;

export const settlementCompletedSchema = z.object({
  settlementId: uuidSchema,
  merchantId: externalIdSchema,
  netMinor: amountMinorSchema,
  currency: currencySchema,
  payoutRef: storableText().min(1).max(64),
});
export type SettlementCompleted = z.infer<typeof settlementCompletedSchema>;

export const settlementFailedSchema = z.object({
  settlementId: uuidSchema,
  merchantId: externalIdSchema,
  netMinor: signedAmountMinorSchema,
  currency: currencySchema,
  reason: failureReasonSchema,
});
export type SettlementFailed = z.infer<typeof settlementFailedSchema>;

// ---- internal topics --------------------------------------------------------------------------

export const riskAssessmentRequestedSchema = z.object({
  ...paymentPartyFields,
  channel: channelSchema.optional(),
  ...shopperSignalFields,
  requestedAt: timestampSchema,
});
export type RiskAssessmentRequested = z.infer<typeof riskAssessmentRequestedSchema>;

export const RISK_DECISIONS = ['approve', 'review', 'reject'] as const;
export type RiskDecision = (typeof RISK_DECISIONS)[number];

export const riskAssessmentDecidedSchema = z
  .object({
    paymentId: uuidSchema,
    orderId: externalIdSchema,
    decision: z.enum(RISK_DECISIONS),
    score: z.number().int().min(0).max(1000),
    reasons: z.array(z.object({ ruleId: storableText().min(1).max(64), detail: storableText().max(500).optional() })).max(50),
    rejectReason: failureReasonSchema.optional(),
    decidedAt: timestampSchema,
  })
  .refine((d) => d.decision !== 'reject' || d.rejectReason !== undefined, {
    message: 'a reject decision carries rejectReason',
    path: ['rejectReason'],
  });
export type RiskAssessmentDecided = z.infer<typeof riskAssessmentDecidedSchema>;

export const channelChargeRequestedSchema = z.object({
  paymentId: uuidSchema,
  orderId: externalIdSchema,
  merchantId: externalIdSchema,
  amountMinor: positiveAmountMinorSchema,
  currency: currencySchema,
  channel: channelSchema.optional(),
  cardToken: cardTokenSchema.optional(),
  subject: storableText().min(1).max(256),
});
export type ChannelChargeRequested = z.infer<typeof channelChargeRequestedSchema>;

export const CHARGE_OUTCOMES = ['succeeded', 'failed', 'unknown'] as const;
export type ChargeOutcome = (typeof CHARGE_OUTCOMES)[number];

export const channelChargeCompletedSchema = z
  .object({
    paymentId: uuidSchema,
    orderId: externalIdSchema,
    channel: channelSchema,
    outcome: z.enum(CHARGE_OUTCOMES),
    channelTradeNo: storableText().min(1).max(64).optional(),
    failure: failureReasonSchema.optional(),
    completedAt: timestampSchema,
  })
  .refine((c) => c.outcome !== 'succeeded' || c.channelTradeNo !== undefined, {
    message: 'a succeeded charge carries channelTradeNo',
    path: ['channelTradeNo'],
  })
  .refine((c) => c.outcome === 'succeeded' || c.failure !== undefined, {
    message: 'a failed or unknown charge carries failure',
    path: ['failure'],
  });
export type ChannelChargeCompleted = z.infer<typeof channelChargeCompletedSchema>;

export const channelRefundRequestedSchema = z.object({
  refundId: uuidSchema,
  paymentId: uuidSchema,
  orderId: externalIdSchema,
  merchantId: externalIdSchema,
  channel: channelSchema,
  channelTradeNo: storableText().min(1).max(64),
  amountMinor: positiveAmountMinorSchema,
  currency: currencySchema,
});
export type ChannelRefundRequested = z.infer<typeof channelRefundRequestedSchema>;

export const REFUND_OUTCOMES = ['succeeded', 'failed'] as const;

export const channelRefundCompletedSchema = z
  .object({
    refundId: uuidSchema,
    paymentId: uuidSchema,
    orderId: externalIdSchema,
    outcome: z.enum(REFUND_OUTCOMES),
    channelRefundNo: storableText().min(1).max(64).optional(),
    failure: failureReasonSchema.optional(),
    completedAt: timestampSchema,
  })
  .refine((c) => c.outcome === 'succeeded' || c.failure !== undefined, { message: 'a failed refund carries failure', path: ['failure'] });
export type ChannelRefundCompleted = z.infer<typeof channelRefundCompletedSchema>;

// ---- registry ---------------------------------------------------------------------------------

/** The payload schema of every topic; producers and consumers validate against it. */
export const EVENT_SCHEMAS = {
  [TOPICS.paymentRequested]: paymentRequestedSchema,
  [TOPICS.paymentSucceeded]: paymentSucceededSchema,
  [TOPICS.paymentFailed]: paymentFailedSchema,
  [TOPICS.paymentRefunded]: paymentRefundedSchema,
  [TOPICS.settlementDue]: settlementDueSchema,
  [TOPICS.settlementCompleted]: settlementCompletedSchema,
  [TOPICS.settlementFailed]: settlementFailedSchema,
  [TOPICS.riskAssessmentRequested]: riskAssessmentRequestedSchema,
  [TOPICS.riskAssessmentDecided]: riskAssessmentDecidedSchema,
  [TOPICS.channelChargeRequested]: channelChargeRequestedSchema,
  [TOPICS.channelChargeCompleted]: channelChargeCompletedSchema,
  [TOPICS.channelRefundRequested]: channelRefundRequestedSchema,
  [TOPICS.channelRefundCompleted]: channelRefundCompletedSchema,
} as const satisfies Record<TopicName, z.ZodType>;

/** The payload type carried on a topic. */
export type EventPayload<T extends TopicName> = z.infer<(typeof EVENT_SCHEMAS)[T]>;

/** The partition key each topic is keyed by, as the contract says. */
export const TOPIC_KEYS: { [T in TopicName]: (payload: EventPayload<T>) => string } = {
  [TOPICS.paymentRequested]: (p) => p.orderId,
  [TOPICS.paymentSucceeded]: (p) => p.orderId,
  [TOPICS.paymentFailed]: (p) => p.orderId,
  [TOPICS.paymentRefunded]: (p) => p.orderId,
  [TOPICS.settlementDue]: (p) => p.merchantId,
  [TOPICS.settlementCompleted]: (p) => p.merchantId,
  [TOPICS.settlementFailed]: (p) => p.merchantId,
  [TOPICS.riskAssessmentRequested]: (p) => p.paymentId,
  [TOPICS.riskAssessmentDecided]: (p) => p.paymentId,
  [TOPICS.channelChargeRequested]: (p) => p.paymentId,
  [TOPICS.channelChargeCompleted]: (p) => p.paymentId,
  [TOPICS.channelRefundRequested]: (p) => p.paymentId,
  [TOPICS.channelRefundCompleted]: (p) => p.paymentId,
};

export type SchemaCheck<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Validates a payload against its topic's schema; the reason names every failing field. */
export function checkEventPayload<T extends TopicName>(topic: T, payload: unknown): SchemaCheck<EventPayload<T>> {
  const schema = EVENT_SCHEMAS[topic] as unknown as z.ZodType<EventPayload<T>>;
  const result = schema.safeParse(payload);
  if (result.success) return { ok: true, value: result.data };
  const reason = describeIssues(result.error.issues);
  return { ok: false, reason: `schema violation on ${topic}: ${reason}` };
}
