import { z } from 'zod';
import { storableText } from './storable-text';

/** Largest amount accepted anywhere, in minor units (CNY 10,000,000.00): a sanity bound, not a risk limit. */
export const AMOUNT_MINOR_MAX = 1_000_000_000n;

/** Non-negative integer minor units as a decimal string, e.g. "12345" = CNY 123.45. */
const NON_NEGATIVE_MINOR = /^(0|[1-9][0-9]{0,18})$/;
export const amountMinorSchema = storableText()
  .regex(NON_NEGATIVE_MINOR, 'amountMinor must be a non-negative integer in minor units, as a decimal string')
  // zod runs every check: parse only what the regex accepted
  .refine((v) => !NON_NEGATIVE_MINOR.test(v) || BigInt(v) <= AMOUNT_MINOR_MAX, {
    message: `amountMinor must be at most ${AMOUNT_MINOR_MAX}`,
  });

/** A strictly positive amount in minor units as a decimal string. */
export const positiveAmountMinorSchema = amountMinorSchema.refine((v) => !NON_NEGATIVE_MINOR.test(v) || BigInt(v) > 0n, {
  message: 'amountMinor must be greater than zero',
});

/** Signed minor units as a decimal string (net amounts can go negative after claw-backs). */
export const signedAmountMinorSchema = storableText()
  .regex(/^(0|-?[1-9][0-9]{0,18})$/, 'must be an integer in minor units, as a decimal string');

export const SUPPORTED_CURRENCIES = ['CNY'] as const;
export const currencySchema = z.enum(SUPPORTED_CURRENCIES);
export type Currency = z.infer<typeof currencySchema>;

export const CHANNELS = ['alipay', 'wechatpay', 'unionpay'] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

/** Identifiers from upstream systems: printable, bounded, no whitespace. */
export const externalIdSchema = storableText()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'must be 1-64 characters of letters, digits, _ . : -');

export const uuidSchema = z.uuid();
export const timestampSchema = z.iso.datetime({ offset: true });

/** A card token issued by channel-gateway's POST /cards: the only way a card travels (never the number). */
export const cardTokenSchema = storableText().regex(/^tok_[0-9a-f]{32}$/, 'a card token from POST /cards (tok_ and 32 hex digits)');

/** Longest shopper device id accepted, in characters. */
export const DEVICE_ID_LENGTH_MAX = 128;
/** A shopper's device fingerprint from the checkout: a bounded slug-like id (letters, digits, _ . : -). */
export const deviceIdSchema = storableText()
  .max(DEVICE_ID_LENGTH_MAX)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, `must be 1-${DEVICE_ID_LENGTH_MAX} characters of letters, digits, _ . : - starting with a letter or digit`);

/** The shopper's IP address as the checkout saw it: IPv4 dotted quad or IPv6 (no zone id). */
export const ipAddressSchema = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });

/** A calendar date as yyyy-MM-dd that exists (no 2026-02-30). */
export const calendarDateSchema = storableText()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'yyyy-MM-dd')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'not a calendar date');
