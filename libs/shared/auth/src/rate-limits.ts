import type { BucketLimit } from './token-bucket';

// Per process (replica), in requests: N replicas behind a balancer admit up to N times these.
/** Every request from one client address (IPv6: its /64), authenticated or not, refused or not. */
export const CLIENT_ADDRESS_REQUESTS_PER_S = 100;
export const CLIENT_ADDRESS_BURST_REQUESTS = 200;
/** Every authenticated request of one merchant API key. */
export const MERCHANT_KEY_REQUESTS_PER_S = 50;
export const MERCHANT_KEY_BURST_REQUESTS = 100;
/** Every authenticated request of one operator token (people and the admin tools). */
export const OPERATOR_TOKEN_REQUESTS_PER_S = 10;
export const OPERATOR_TOKEN_BURST_REQUESTS = 30;
/** Every authenticated request of one service token (monitoring scrapes, settlement's reconciliation reads). */
export const SERVICE_TOKEN_REQUESTS_PER_S = 100;
export const SERVICE_TOKEN_BURST_REQUESTS = 200;
/** POST /cards (a card-testing oracle), per credential and per client address, on top of the limits above. */
export const CARD_TOKENIZE_REQUESTS_PER_S = 5;
export const CARD_TOKENIZE_BURST_REQUESTS = 20;
/** POST /identities (an identity-probing oracle: does this name match this ID number?), likewise. */
export const IDENTITY_REGISTER_REQUESTS_PER_S = 5;
export const IDENTITY_REGISTER_BURST_REQUESTS = 20;

/** The limits by name: each may be overridden by the environment variable `RATE_LIMIT_<name>`. */
export const RATE_LIMIT_DEFAULTS = {
  CLIENT_ADDRESS_REQUESTS_PER_S,
  CLIENT_ADDRESS_BURST_REQUESTS,
  MERCHANT_KEY_REQUESTS_PER_S,
  MERCHANT_KEY_BURST_REQUESTS,
  OPERATOR_TOKEN_REQUESTS_PER_S,
  OPERATOR_TOKEN_BURST_REQUESTS,
  SERVICE_TOKEN_REQUESTS_PER_S,
  SERVICE_TOKEN_BURST_REQUESTS,
  CARD_TOKENIZE_REQUESTS_PER_S,
  CARD_TOKENIZE_BURST_REQUESTS,
  IDENTITY_REGISTER_REQUESTS_PER_S,
  IDENTITY_REGISTER_BURST_REQUESTS,
} as const;
export type RateLimitSetting = keyof typeof RATE_LIMIT_DEFAULTS;
/** The prefix of the environment variables that override a limit (`RATE_LIMIT_MERCHANT_KEY_REQUESTS_PER_S`, ...). */
export const RATE_LIMIT_ENV_PREFIX = 'RATE_LIMIT_';

/** How strictly a route is limited: `standard`, or a stricter class declared with @StrictRateLimit. */
export const RATE_LIMIT_CLASSES = ['standard', 'card-tokenize', 'identity-register'] as const;
export type RateLimitClass = (typeof RATE_LIMIT_CLASSES)[number];
export type StrictRateLimitClass = Exclude<RateLimitClass, 'standard'>;

/** Whose bucket refused a request: the `reason` label of paystream_rate_limited_total. */
export const RATE_LIMIT_SUBJECTS = ['client-address', 'merchant-key', 'operator-token', 'service-token'] as const;
export type RateLimitSubject = (typeof RATE_LIMIT_SUBJECTS)[number];

/** The limits in force. */
export interface RateLimits {
  /** Every request, by whose it is. */
  standard: Record<RateLimitSubject, BucketLimit>;
  /** A strict class's requests, per credential and per client address (on top of `standard`). */
  strict: Record<StrictRateLimitClass, BucketLimit>;
}

/**
 * The limits from the defaults, each multiplied by `scale` (load tools and test stacks use a large
 * one), with the settings given explicitly taking precedence as they are.
 */
export function rateLimitsOf(settings: Partial<Record<RateLimitSetting, number>> = {}, scale = 1): RateLimits {
  const v = (name: RateLimitSetting) => settings[name] ?? RATE_LIMIT_DEFAULTS[name] * scale;
  const limit = (prefix: 'CLIENT_ADDRESS' | 'MERCHANT_KEY' | 'OPERATOR_TOKEN' | 'SERVICE_TOKEN' | 'CARD_TOKENIZE' | 'IDENTITY_REGISTER'): BucketLimit => ({
    ratePerS: v(`${prefix}_REQUESTS_PER_S`),
    burst: Math.max(1, Math.floor(v(`${prefix}_BURST_REQUESTS`))),
  });
  return {
    standard: { 'client-address': limit('CLIENT_ADDRESS'), 'merchant-key': limit('MERCHANT_KEY'), 'operator-token': limit('OPERATOR_TOKEN'), 'service-token': limit('SERVICE_TOKEN') },
    strict: { 'card-tokenize': limit('CARD_TOKENIZE'), 'identity-register': limit('IDENTITY_REGISTER') },
  };
}

/** The variable that multiplies every default limit (an explicit `RATE_LIMIT_<name>` is taken as it is). */
export const RATE_LIMIT_SCALE_ENV = `${RATE_LIMIT_ENV_PREFIX}SCALE`;
