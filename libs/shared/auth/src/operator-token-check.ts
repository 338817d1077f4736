import { readFileSync } from 'node:fs';
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

/** The variable a command-line tool reads the operator token from when no --token-file names a file. */
export const OPERATOR_TOKEN_ENV = 'PAYSTREAM_OPERATOR_TOKEN';

/**
 * The operator token a command line presents: the content of `--token-file` when given (throws when
 * it cannot be read), else `PAYSTREAM_OPERATOR_TOKEN`; undefined when neither holds one.
 */
export function presentedOperatorToken(tokenFile: string | undefined, env: Record<string, string | undefined>): string | undefined {
  if (tokenFile !== undefined) return readFileSync(tokenFile, 'utf8').trim();
  return env[OPERATOR_TOKEN_ENV]?.trim() || undefined;
}

/**
 * Authenticates an operator token (`<credentialId>.<secret>`) for a tool that works outside the
 * services (the DLQ CLI on Kafka, the admin CLI on the registry): the registry's credential row must
 * be an operator token, usable now (not revoked, not expired, started), with the SHA-256 of the
 * presented secret (the registry keeps it to confirm a secret without the pepper:
 * docs/design/trust-boundary.md section 3), and every role asked for. Throws an AuthRefusal with the
 * guard's reasons and codes otherwise.
 */
export async function checkOperatorToken(
  token: string,
  role: OperatorRole | readonly OperatorRole[],
  registry: RegisteredCredentialLookup,
  now: Date = new Date(),
): Promise<OperatorPrincipal> {
  if (token.trim() === '') throw new AuthRefusal('missing');
  const parsed = parseBearer(`Bearer ${token.trim()}`);
  if (!parsed) throw new AuthRefusal('malformed', 'expected an operator token: <credential id>.<secret>');
  const credential = await registry.find(parsed.credentialId);
  if (!credential || credential.kind !== 'operator-token') throw new AuthRefusal('key_unknown');
  if (!credentialUsable(credential, now)) throw new AuthRefusal('key_revoked');
  if (!secretMatches(credential.secretSha256, secretSha256(parsed.secret))) throw new AuthRefusal('signature_invalid');
  const missing = (typeof role === 'string' ? [role] : role).find((r) => !credential.roles.includes(r));
  if (missing !== undefined) throw new AuthRefusal('forbidden', `the operator ${credential.principalId} has no ${missing} role`);
  return { kind: 'operator', operatorId: credential.principalId, roles: credential.roles, credentialId: credential.credentialId };
}
