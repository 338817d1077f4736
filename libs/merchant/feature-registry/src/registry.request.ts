import { z } from 'zod';
import { externalIdSchema, MERCHANT_SETTLEMENT_SCHEDULES, merchantContactSchema, payoutAccountSchema, storableText } from '@paystream/contracts';

const minor = storableText().regex(/^(0|[1-9]\d{0,15})$/, 'whole minor units as a decimal string');
const hhmm = storableText().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:mm (China time)');

// no body names its operator: the operator is the authenticated principal (operatorOf)

const feePlanFields = {
  rateBps: z.number().int().min(0).max(10_000),
  fixedMinor: minor.default('0'),
  minMinor: minor.default('0'),
  maxMinor: minor.nullable().default(null),
  rounding: z.literal('half-up').default('half-up'),
};

/** Terms at onboarding: the schedule, the fee plan's rate and the payout account are required; the rest defaults as settlement's did. */
const termsInputSchema = z
  .object({
    schedule: z.enum(MERCHANT_SETTLEMENT_SCHEDULES),
    nDays: z.number().int().min(0).max(30).default(0),
    cutoffTime: hhmm.default('23:00'),
    payoutMinMinor: minor.default('0'),
    reserveBps: z.number().int().min(0).max(10_000).default(0),
    reserveHoldDays: z.number().int().min(0).max(365).default(0),
    feePlan: z.object(feePlanFields).strict(),
    payoutAccount: payoutAccountSchema.strict(),
  })
  .strict();

/** POST /merchants: onboarding a merchant. */
export const registerBodySchema = z
  .object({
    merchantId: externalIdSchema,
    legalName: storableText().trim().min(1).max(200),
    contact: merchantContactSchema.strict(),
    terms: termsInputSchema,
  })
  .strict();
export type RegisterBody = z.infer<typeof registerBodySchema>;

/**
 * PATCH /merchants/:merchantId: what changes (absent fields stay). The payout account is not here:
 * it changes only through a four-eyes payout account change.
 */
export const updateBodySchema = z
  .object({
    legalName: storableText().trim().min(1).max(200).optional(),
    contact: merchantContactSchema.strict().optional(),
    terms: z
      .object({
        schedule: z.enum(MERCHANT_SETTLEMENT_SCHEDULES).optional(),
        nDays: z.number().int().min(0).max(30).optional(),
        cutoffTime: hhmm.optional(),
        payoutMinMinor: minor.optional(),
        reserveBps: z.number().int().min(0).max(10_000).optional(),
        reserveHoldDays: z.number().int().min(0).max(365).optional(),
        feePlan: z
          .object({
            rateBps: feePlanFields.rateBps.optional(),
            fixedMinor: minor.optional(),
            minMinor: minor.optional(),
            maxMinor: minor.nullable().optional(),
            rounding: z.literal('half-up').optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    /** The version the operator read: a change made since is refused (MERCHANT_VERSION_CONFLICT). */
    expectedVersion: z.number().int().min(1).optional(),
  })
  .strict();
export type UpdateBody = z.infer<typeof updateBodySchema>;

/** POST /merchants/:merchantId/{suspend,reactivate,close}. */
export const statusBodySchema = z.object({ reason: storableText().trim().min(1).max(500).optional() }).strict();
export type StatusBody = z.infer<typeof statusBodySchema>;

/** POST /merchants/:merchantId/payout-account-changes: proposing a new payout account. */
export const proposeBodySchema = z.object({ account: payoutAccountSchema.strict(), note: storableText().trim().min(1).max(500).optional() }).strict();
export type ProposeBody = z.infer<typeof proposeBodySchema>;

/** POST .../payout-account-changes/:changeId/{approve,reject,cancel}. */
export const decideBodySchema = z.object({ note: storableText().trim().min(1).max(500).optional() }).strict();
export type DecideBody = z.infer<typeof decideBodySchema>;

/** GET /merchants?status=&after=&limit= */
export const listQuerySchema = z
  .object({
    status: z.enum(['active', 'suspended', 'closed']).optional(),
    after: externalIdSchema.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
