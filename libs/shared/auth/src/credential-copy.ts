import type { CredentialIssued, CredentialRevoked, OperatorRole } from '@paystream/contracts';
import { knownCredentialFromRow } from './credential-row';
import type { CredentialKind, KeyMode } from './derived-secret';

type Queryable = { query: (sql: string, params?: unknown[]) => Promise<unknown> };

/** A credential as a service knows it from the events (no secret: the secret is derived from the pepper). */
export interface KnownCredential {
  credentialId: string;
  kind: CredentialKind;
  principalId: string;
  roles: OperatorRole[];
  mode: KeyMode | null;
  notBefore: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** Whether a credential may be used at `now`: started, not expired, not revoked. */
export function credentialUsable(c: KnownCredential, now: Date): boolean {
  return c.revokedAt === null && c.notBefore.getTime() <= now.getTime() && (c.expiresAt === null || c.expiresAt.getTime() > now.getTime());
}

/** Where the guard looks credentials up. */
export interface CredentialLookup {
  find(credentialId: string): Promise<KnownCredential | undefined>;
}

/**
 * A service's local copy of the credentials (table credential_copy). An issue upserts (a rotation
 * re-issues the old key with its new expiry); a revocation is final and wins over a later or
 * earlier issue of the same id.
 */
export class CredentialCopy implements CredentialLookup {
  constructor(private readonly db: Queryable) {}

  /** Applies credential.issued.v1 in the consumer's transaction. */
  async applyIssued(tx: Queryable, e: CredentialIssued): Promise<void> {
    await tx.query(
      `INSERT INTO credential_copy (credential_id, kind, principal_id, roles, mode, not_before, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (credential_id) DO UPDATE SET roles = EXCLUDED.roles, mode = EXCLUDED.mode, not_before = EXCLUDED.not_before,
         expires_at = EXCLUDED.expires_at, updated_at = now()`,
      [e.credentialId, e.kind, e.principalId, e.roles ?? [], e.mode ?? null, e.notBefore, e.expiresAt],
    );
  }

  /** Applies credential.revoked.v1 in the consumer's transaction (also before its issue arrived). */
  async applyRevoked(tx: Queryable, e: CredentialRevoked): Promise<void> {
    await tx.query(
      `INSERT INTO credential_copy (credential_id, kind, principal_id, not_before, revoked_at)
       VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (credential_id) DO UPDATE SET revoked_at = COALESCE(credential_copy.revoked_at, EXCLUDED.revoked_at), updated_at = now()`,
      [e.credentialId, e.kind, e.principalId, e.revokedAt],
    );
  }

  /** The credential with this id, if this service has heard of it. */
  async find(credentialId: string): Promise<KnownCredential | undefined> {
    const rows = (await this.db.query(
      `SELECT credential_id, kind, principal_id, roles, mode, not_before, expires_at, revoked_at FROM credential_copy WHERE credential_id = $1`,
      [credentialId],
    )) as Array<Record<string, unknown>>;
    const r = rows[0];
    if (!r) return undefined;
    return knownCredentialFromRow(r);
  }
}
