import type { ErrorCode } from '@paystream/contracts';

/** Why a request was refused: the `reason` label of paystream_auth_refusals_total. */
export const AUTH_REFUSAL_REASONS = {
  missing: 'AUTH_MISSING',
  malformed: 'AUTH_MALFORMED',
  key_unknown: 'AUTH_KEY_UNKNOWN',
  key_revoked: 'AUTH_KEY_REVOKED',
  signature_invalid: 'AUTH_SIGNATURE_INVALID',
  timestamp_skew: 'AUTH_TIMESTAMP_SKEW',
  nonce_replayed: 'AUTH_NONCE_REPLAYED',
  mode_mismatch: 'AUTH_MODE_MISMATCH',
  forbidden: 'AUTH_FORBIDDEN',
  // a merchant naming another merchant: its body claim is forbidden, its path answers like a missing resource
  other_merchant: 'AUTH_FORBIDDEN',
  other_merchant_resource: 'RESOURCE_NOT_FOUND',
} as const satisfies Record<string, ErrorCode>;

export type AuthRefusalReason = keyof typeof AUTH_REFUSAL_REASONS;

/** A refused request: the guard throws it, the platform's error filter renders its code (401/403/404). */
export class AuthRefusal extends Error {
  readonly code: ErrorCode;

  constructor(
    readonly reason: AuthRefusalReason,
    readonly detail?: string,
  ) {
    super(detail ?? reason);
    this.name = 'AuthRefusal';
    this.code = AUTH_REFUSAL_REASONS[reason];
  }
}
