import type { OperatorRole } from '@paystream/contracts';
import { AuthRefusal } from './auth-refusal';
import { credentialUsable, type KnownCredential } from './credential-copy';
import { secretSha256 } from './derived-secret';
import type { Principal } from './principal';
import { parseBearer, secretMatches } from './request-signature';

/** A credential as the registry (the merchant database) holds it: what a service's copy knows, and the SHA-256 of its secret. */
export interface RegisteredCredential extends KnownCredential {
  secretSha256: string;
}

/** Where a tool that holds no pepper looks a credential up: the registry itself. */
export interface RegisteredCredentialLookup {
  find(credentialId: string): Promise<RegisteredCredential | undefined>;
}

/** An authenticated operator, as a command-line tool acts for it. */
export type OperatorPrincipal = Extract<Principal, { kind: 'operator' }>;

/**
 * Authenticates an operator token (`<credentialId>.<secret>`) for a tool that works outside the
 * services (the DLQ CLI on Kafka): the registry's credential row must be an operator token, usable
 * now (not revoked, not expired, started), with the SHA-256 of the presented secret (the registry
 * keeps it to confirm a secret without the pepper: docs/design/trust-boundary.md section 3), and the
 * role asked for. Throws an AuthRefusal with the guard's reasons and codes otherwise.
 */
export async function checkOperatorToken(token: string, role: OperatorRole, registry: RegisteredCredentialLookup, now: Date = new Date()): Promise<OperatorPrincipal> {
  if (token.trim() === '') throw new AuthRefusal('missing');
  const parsed = parseBearer(`Bearer ${token.trim()}`);
  if (!parsed) throw new AuthRefusal('malformed', 'expected an operator token: <credential id>.<secret>');
  const credential = await registry.find(parsed.credentialId);
  if (!credential || credential.kind !== 'operator-token') throw new AuthRefusal('key_unknown');
  if (!credentialUsable(credential, now)) throw new AuthRefusal('key_revoked');
  if (!secretMatches(credential.secretSha256, secretSha256(parsed.secret))) throw new AuthRefusal('signature_invalid');
  if (!credential.roles.includes(role)) throw new AuthRefusal('forbidden', `the operator ${credential.principalId} has no ${role} role`);
  return { kind: 'operator', operatorId: credential.principalId, roles: credential.roles, credentialId: credential.credentialId };
}
