import { createHash } from 'node:crypto';
import { z } from 'zod';
import { storableText } from '@paystream/contracts';
import { SETTLEMENT_SCHEDULES, SETTLEMENT_TERMS_DEFAULT, type SettlementTerms } from '@paystream/settlement/domain';

const minor = storableText().regex(/^(0|[1-9]\d{0,15})$/, 'whole minor units as a decimal string');

/** The body of PUT /merchants/:merchantId/settlement-terms: every field optional, the defaults fill in. */
export const merchantTermsBodySchema = z
  .object({
    schedule: z.enum(SETTLEMENT_SCHEDULES).optional(),
    nDays: z.number().int().optional(),
    cutoffTime: storableText().optional(),
    payoutMinMinor: minor.optional(),
    reserveBps: z.number().int().optional(),
    reserveHoldDays: z.number().int().optional(),
    payoutAccountNo: storableText().regex(/^\d{8,32}$/, '8 to 32 digits').optional(),
    feePlan: z
      .object({
        rateBps: z.number().int().optional(),
        fixedMinor: minor.optional(),
        minMinor: minor.optional(),
        maxMinor: minor.nullable().optional(),
        rounding: z.literal('half-up').optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type MerchantTermsBody = z.infer<typeof merchantTermsBodySchema>;

/** The terms a body asks for (the defaults where it is silent); limits are checked by validateSettlementTerms. */
export function termsOf(b: MerchantTermsBody): SettlementTerms {
  const d = SETTLEMENT_TERMS_DEFAULT;
  const f = b.feePlan ?? {};
  return {
    schedule: b.schedule ?? d.schedule,
    nDays: b.nDays ?? d.nDays,
    cutoffTime: b.cutoffTime ?? d.cutoffTime,
    payoutMinMinor: b.payoutMinMinor === undefined ? d.payoutMinMinor : BigInt(b.payoutMinMinor),
    reserveBps: b.reserveBps === undefined ? d.reserveBps : BigInt(b.reserveBps),
    reserveHoldDays: b.reserveHoldDays ?? d.reserveHoldDays,
    payoutChannel: 'bank_transfer',
    payoutAccountNo: b.payoutAccountNo ?? d.payoutAccountNo,
    feePlan: {
      rateBps: f.rateBps === undefined ? d.feePlan.rateBps : BigInt(f.rateBps),
      fixedMinor: f.fixedMinor === undefined ? d.feePlan.fixedMinor : BigInt(f.fixedMinor),
      minMinor: f.minMinor === undefined ? d.feePlan.minMinor : BigInt(f.minMinor),
      maxMinor: f.maxMinor === undefined || f.maxMinor === null ? null : BigInt(f.maxMinor),
      rounding: 'half-up',
    },
  };
}

/** Terms as JSON: amounts and basis points as decimal strings. */
export function termsJson(t: SettlementTerms) {
  return {
    schedule: t.schedule,
    nDays: t.nDays,
    cutoffTime: t.cutoffTime,
    payoutMinMinor: t.payoutMinMinor.toString(),
    reserveBps: Number(t.reserveBps),
    reserveHoldDays: t.reserveHoldDays,
    payoutChannel: t.payoutChannel,
    payoutAccountNo: t.payoutAccountNo,
    feePlan: {
      rateBps: Number(t.feePlan.rateBps),
      fixedMinor: t.feePlan.fixedMinor.toString(),
      minMinor: t.feePlan.minMinor.toString(),
      maxMinor: t.feePlan.maxMinor === null ? null : t.feePlan.maxMinor.toString(),
      rounding: t.feePlan.rounding,
    },
  };
}

/** A stable hash of what a key first asked for (the resolved terms, so field order does not matter). */
export function termsRequestHash(merchantId: string, t: SettlementTerms): string {
  return createHash('sha256').update(`${merchantId}|${JSON.stringify(termsJson(t))}`).digest('hex');
}
