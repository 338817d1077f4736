import { knownCredentialFromRow } from './credential-row';
import type { RegisteredCredential, RegisteredCredentialLookup } from './operator-token-check';

type Queryable = { query: (sql: string, params?: unknown[]) => Promise<unknown> };

/**
 * The credentials as the registry holds them: the merchant database's `credential` table (read only;
 * the merchant service and `npm run admin` write it), for tools that authenticate an operator outside
 * the services. An operator token of a disabled operator is revoked with it (revokeOperator), so the
 * credential row says all.
 */
export class RegistryCredentials implements RegisteredCredentialLookup {
  constructor(private readonly db: Queryable) {}

  async find(credentialId: string): Promise<RegisteredCredential | undefined> {
    const rows = (await this.db.query(
      `SELECT credential_id, kind, principal_id, roles, mode, secret_sha256, not_before, expires_at, revoked_at FROM credential WHERE credential_id = $1`,
      [credentialId],
    )) as Array<Record<string, unknown>>;
    const r = rows[0];
    if (!r) return undefined;
    return { ...knownCredentialFromRow(r), secretSha256: r.secret_sha256 as string };
  }
}
