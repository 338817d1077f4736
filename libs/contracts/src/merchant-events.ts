import { z } from 'zod';
import { amountMinorSchema, externalIdSchema, timestampSchema, uuidSchema } from './primitives';
import { storableText } from './storable-text';

// The merchant registry's events (docs/design/trust-boundary.md section 2): the merchant service
// owns who exists; every other service keeps a local copy fed by these.

/** A merchant's lifecycle: active, suspended (may come back), closed (final). */
export const MERCHANT_STATUSES = ['active', 'suspended', 'closed'] as const;
export type MerchantStatus = (typeof MERCHANT_STATUSES)[number];

/** When a merchant is settled: as each payment is booked, or N business days later (settlement's schedules). */
export const MERCHANT_SETTLEMENT_SCHEDULES = ['realtime', 't_plus_n'] as const;

/**
 * A payout bank code: the 12-digit CNAPS participant code (大额支付系统行号) of the receiving branch;
 * its first three digits name the bank (102 ICBC, 103 ABC, 104 BOC, 105 CCB, 308 CMB, ...).
 */
export const bankCodeSchema = storableText().regex(/^[1-9]\d{11}$/, 'a 12-digit CNAPS bank code (first digit not 0)');

/** Shortest and longest payout account number accepted, in digits (Chinese settlement and card accounts). */
export const PAYOUT_ACCOUNT_NO_DIGITS_MIN = 8;
export const PAYOUT_ACCOUNT_NO_DIGITS_MAX = 32;
/** A payout account number: digits only, 8 to 32 of them (no Luhn: corporate accounts carry none). */
export const accountNoSchema = storableText().regex(
  new RegExp(`^\\d{${PAYOUT_ACCOUNT_NO_DIGITS_MIN},${PAYOUT_ACCOUNT_NO_DIGITS_MAX}}$`),
  `${PAYOUT_ACCOUNT_NO_DIGITS_MIN} to ${PAYOUT_ACCOUNT_NO_DIGITS_MAX} digits`,
);

/** Where a merchant's payouts go: the bank, the account number and the name on the account. */
export const payoutAccountSchema = z.object({
  bankCode: bankCodeSchema,
  accountNo: accountNoSchema,
  accountName: storableText().trim().min(1).max(100),
});
export type PayoutAccount = z.infer<typeof payoutAccountSchema>;

/** A payout account as the merchant's notification shows it: the bank and the last four digits. */
export const maskedPayoutAccountSchema = z.object({
  bankCode: bankCodeSchema,
  accountLast4: storableText().regex(/^\d{4}$/, 'four digits'),
});

const minorSchema = amountMinorSchema;

/** A merchant's fee plan (settlement's shape): rate in basis points, fixed part and bounds in minor units. */
export const merchantFeePlanSchema = z.object({
  rateBps: z.number().int().min(0).max(10_000),
  fixedMinor: minorSchema,
  minMinor: minorSchema,
  maxMinor: minorSchema.nullable(),
  rounding: z.literal('half-up'),
});

/** A merchant's settlement terms (settlement's shape), with the payout account in effect. */
export const merchantTermsSchema = z.object({
  schedule: z.enum(MERCHANT_SETTLEMENT_SCHEDULES),
  nDays: z.number().int().min(0).max(30),
  cutoffTime: storableText().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:mm (China time)'),
  payoutMinMinor: minorSchema,
  reserveBps: z.number().int().min(0).max(10_000),
  reserveHoldDays: z.number().int().min(0).max(365),
  feePlan: merchantFeePlanSchema,
  payoutAccount: payoutAccountSchema,
});
export type MerchantTerms = z.infer<typeof merchantTermsSchema>;

export const merchantContactSchema = z.object({
  name: storableText().trim().min(1).max(100),
  email: z.email().max(254),
  phone: storableText().regex(/^\+?[0-9][0-9 -]{5,19}$/, '6-20 digits, spaces or dashes, optionally starting with +').optional(),
});

/**
 * The merchant snapshot carried by merchant.registered.v1 and merchant.updated.v1: all of it, at
 * `version` (+1 per change; a copy keeps the highest version it saw). The payout account is the
 * one in effect: a proposed account appears only once it is effective.
 */
export const merchantSnapshotSchema = z.object({
  merchantId: externalIdSchema,
  version: z.number().int().min(1),
  status: z.enum(MERCHANT_STATUSES),
  legalName: storableText().trim().min(1).max(200),
  contact: merchantContactSchema,
  terms: merchantTermsSchema,
  occurredAt: timestampSchema,
});
export type MerchantSnapshot = z.infer<typeof merchantSnapshotSchema>;

/** The states of a four-eyes payout account change (the merchant is notified at each). */
export const PAYOUT_ACCOUNT_CHANGE_STATES = ['proposed', 'approved', 'effective', 'rejected', 'cancelled'] as const;
export type PayoutAccountChangeState = (typeof PAYOUT_ACCOUNT_CHANGE_STATES)[number];

/** An actor as the audit log writes it: `<kind>:<id>` (e.g. `operator:op_...`). */
const actorTextSchema = storableText().regex(/^(operator|merchant|service|system):\S.{0,127}$/, '<kind>:<id>');

export const merchantPayoutAccountChangeSchema = z.object({
  merchantId: externalIdSchema,
  changeId: uuidSchema,
  state: z.enum(PAYOUT_ACCOUNT_CHANGE_STATES),
  account: maskedPayoutAccountSchema,
  proposedBy: actorTextSchema,
  approvedBy: actorTextSchema.optional(),
  effectiveAt: timestampSchema.optional(),
  occurredAt: timestampSchema,
});
export type MerchantPayoutAccountChange = z.infer<typeof merchantPayoutAccountChangeSchema>;

export const CREDENTIAL_KINDS = ['merchant-api-key', 'operator-token', 'service-token'] as const;
export const OPERATOR_ROLES = ['finance', 'risk', 'sre', 'admin'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];
export const KEY_MODES = ['test', 'live'] as const;

/** A credential id: a public prefix (pk_live_/pk_test_, op_, svc_<name>_) and 22 base62 characters. */
export const credentialIdSchema = storableText().regex(/^(pk_(live|test)_|op_|svc_[a-z0-9-]{1,32}_)[0-9A-Za-z]{22}$/, 'pk_live_/pk_test_/op_/svc_<name>_ and 22 base62 characters');

export const credentialIssuedSchema = z.object({
  credentialId: credentialIdSchema,
  kind: z.enum(CREDENTIAL_KINDS),
  principalId: storableText().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : -'),
  roles: z.array(z.enum(OPERATOR_ROLES)).max(OPERATOR_ROLES.length).optional(),
  mode: z.enum(KEY_MODES).optional(),
  notBefore: timestampSchema,
  expiresAt: timestampSchema.nullable(),
  issuedAt: timestampSchema,
});
export type CredentialIssued = z.infer<typeof credentialIssuedSchema>;

export const credentialRevokedSchema = z.object({
  credentialId: credentialIdSchema,
  kind: z.enum(CREDENTIAL_KINDS),
  principalId: storableText().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : -'),
  revokedAt: timestampSchema,
});
export type CredentialRevoked = z.infer<typeof credentialRevokedSchema>;
