import type { OperatorRole } from '@paystream/contracts';
import { AuthRefusal } from './auth-refusal';
import { credentialUsable, type CredentialLookup } from './credential-copy';
import { deriveSecret, type KeyMode } from './derived-secret';
import type { NonceRecorder } from './nonce-store';
import type { Policy, Principal } from './principal';
import type { RateLimitClass } from './rate-limits';
import type { RequestRateLimits } from './request-rate-limits';
import { parseBearer, parseSignatureHeader, SIGNATURE_SCHEME, SIGNATURE_TIMESTAMP_SKEW_S_MAX, secretMatches, signatureMatches } from './request-signature';

/** What authentication reads of an HTTP request. */
export interface AuthRequest {
  method: string;
  /** Path with query, as sent. */
  url: string;
  authorization: string | undefined;
  /** The body bytes as received (undefined: none). */
  rawBody: Uint8Array | string | undefined;
  /** Path parameters and the parsed body, for the other-merchant check. */
  params?: Record<string, unknown>;
  body?: unknown;
  /** The route's rate-limit class (standard unless it declares a stricter one). */
  rateLimitClass?: RateLimitClass;
}

/** What authentication needs of its service. */
export interface AuthDeps {
  pepper: Buffer;
  credentials: CredentialLookup;
  nonces: NonceRecorder;
  /** The money this deployment moves: a key of another mode is AUTH_MODE_MISMATCH. */
  moneyMode: KeyMode;
  now: () => Date;
  /** Each credential's rate limit, taken as soon as the credential is verified (none: not limited). */
  rateLimits?: Pick<RequestRateLimits, 'admitPrincipal'>;
}

/** Whether the route's policies let this (authenticated) principal call it with this method. */
export function policyAllows(policies: readonly Policy[], principal: Principal, method: string): boolean {
  switch (principal.kind) {
    case 'merchant':
      return policies.includes('merchant');
    case 'service':
      return policies.includes(`service:${principal.name}`);
    case 'operator': {
      if (principal.roles.some((role) => policies.includes(`operator:${role}`))) return true;
      // sre reads everything an operator may read
      const reads = method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD';
      return reads && principal.roles.includes('sre') && policies.some((p) => p.startsWith('operator:'));
    }
    default:
      return false;
  }
}

/**
 * Establishes who calls a route that is neither public nor a channel's, or refuses with a stable
 * reason (AuthRefusal). Checks run cheapest first; the nonce is recorded last, only for a request
 * that is accepted, so no refusal writes anything. A verified credential over its rate limit is
 * refused RateLimited before its route policy is looked at; a replayed nonce gives its token back
 * (whoever replays a captured request must not use up the key's limit).
 */
export async function authenticate(req: AuthRequest, policies: readonly Policy[], deps: AuthDeps): Promise<Principal> {
  const header = req.authorization;
  if (header === undefined || header.trim() === '') throw new AuthRefusal('missing');
  let principal: Principal;
  let nonce: { keyId: string; nonce: string } | undefined;
  if (header.startsWith(`${SIGNATURE_SCHEME} `)) {
    const fields = parseSignatureHeader(header);
    if (!fields) throw new AuthRefusal('malformed', `expected ${SIGNATURE_SCHEME} keyId=..,timestamp=..,nonce=..,signature=..`);
    const credential = await deps.credentials.find(fields.keyId);
    if (!credential || credential.kind !== 'merchant-api-key') throw new AuthRefusal('key_unknown');
    const now = deps.now();
    if (!credentialUsable(credential, now)) throw new AuthRefusal('key_revoked');
    const parts = { method: req.method, pathWithQuery: req.url, timestamp: fields.timestamp, nonce: fields.nonce, body: req.rawBody ?? '' };
    if (!signatureMatches(deriveSecret(deps.pepper, fields.keyId), parts, fields.signature)) throw new AuthRefusal('signature_invalid');
    if (Math.abs(now.getTime() / 1000 - fields.timestamp) > SIGNATURE_TIMESTAMP_SKEW_S_MAX) throw new AuthRefusal('timestamp_skew');
    principal = { kind: 'merchant', merchantId: credential.principalId, keyId: credential.credentialId, mode: credential.mode ?? 'live' };
    nonce = { keyId: fields.keyId, nonce: fields.nonce };
  } else if (header.startsWith('Bearer ')) {
    const token = parseBearer(header);
    if (!token) throw new AuthRefusal('malformed', 'expected Bearer <credential id>.<secret>');
    const credential = await deps.credentials.find(token.credentialId);
    if (!credential || credential.kind === 'merchant-api-key') throw new AuthRefusal('key_unknown');
    if (!credentialUsable(credential, deps.now())) throw new AuthRefusal('key_revoked');
    if (!secretMatches(deriveSecret(deps.pepper, token.credentialId), token.secret)) throw new AuthRefusal('signature_invalid');
    principal =
      credential.kind === 'operator-token'
        ? { kind: 'operator', operatorId: credential.principalId, roles: credential.roles as OperatorRole[], credentialId: credential.credentialId }
        : { kind: 'service', name: credential.principalId, credentialId: credential.credentialId };
  } else {
    throw new AuthRefusal('malformed', `expected ${SIGNATURE_SCHEME} or Bearer`);
  }
  const giveBack = deps.rateLimits?.admitPrincipal(principal, req.rateLimitClass ?? 'standard');
  if (!policyAllows(policies, principal, req.method)) throw new AuthRefusal('forbidden');
  if (principal.kind === 'merchant') {
    if (principal.mode !== deps.moneyMode) throw new AuthRefusal('mode_mismatch', `a ${principal.mode} key on a ${deps.moneyMode} deployment`);
    checkOwnMerchant(principal.merchantId, req);
  }
  if (nonce && !(await deps.nonces.record(nonce.keyId, nonce.nonce))) {
    giveBack?.();
    throw new AuthRefusal('nonce_replayed');
  }
  return principal;
}

/**
 * A merchant acts only as itself: a merchantId in the path that is not its own answers like a
 * missing resource (no oracle); one in the body is forbidden. This is the first line only: every
 * merchant route also reads in the caller's scope (tenantScopeOf / the repositories' SQL), so a
 * resource named by its own id (a payment, a settlement) is scoped too.
 */
function checkOwnMerchant(merchantId: string, req: AuthRequest): void {
  const inPath = req.params?.merchantId;
  if (inPath !== undefined && inPath !== merchantId) throw new AuthRefusal('other_merchant_resource');
  const body = req.body;
  if (body !== null && typeof body === 'object' && 'merchantId' in body && (body as { merchantId: unknown }).merchantId !== merchantId) {
    throw new AuthRefusal('other_merchant', 'the body names another merchant');
  }
}
