import type { OperatorRole } from '@paystream/contracts';
import type { KnownCredential } from './credential-copy';
import type { CredentialKind, KeyMode } from './derived-secret';

/** A credential as a row of `credential` or `credential_copy` holds it (the columns both tables share). */
export function knownCredentialFromRow(r: Record<string, unknown>): KnownCredential {
  return {
    credentialId: r.credential_id as string,
    kind: r.kind as CredentialKind,
    principalId: r.principal_id as string,
    roles: r.roles as OperatorRole[],
    mode: (r.mode as KeyMode | null) ?? null,
    notBefore: new Date(r.not_before as string),
    expiresAt: r.expires_at === null ? null : new Date(r.expires_at as string),
    revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at as string),
  };
}
