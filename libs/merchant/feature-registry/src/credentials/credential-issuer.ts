import { TOPICS, type OperatorRole } from '@paystream/contracts';
import { Actors, appendAudit } from '@paystream/shared/audit-log';
import { bearerToken, deriveSecret, newCredentialId, secretSha256, type CredentialKind, type KeyMode } from '@paystream/shared/auth';
import type { Outbox } from '@paystream/shared/outbox';
import type { EntityManager } from '@paystream/shared/persistence';
import { ApiError, type AnswerCodec } from '@paystream/shared/platform';

/** How long a rotated key keeps working by default (docs/design/trust-boundary.md section 3). */
export const KEY_ROTATION_OVERLAP_MS_DEFAULT = 24 * 60 * 60 * 1000;
/** Longest overlap a rotation may give the old key. */
export const KEY_ROTATION_OVERLAP_MS_MAX = 30 * 24 * 60 * 60 * 1000;

/** A credential just issued: the only moment its secret is shown. */
export interface IssuedCredential {
  credentialId: string;
  kind: CredentialKind;
  principalId: string;
  roles?: OperatorRole[];
  mode?: KeyMode;
  /** The secret (merchant keys sign with it); operators and services send `token`. */
  secret: string;
  /** `<credentialId>.<secret>` for operators and services. */
  token?: string;
  expiresAt: string | null;
}

interface CredentialRow {
  credential_id: string;
  kind: CredentialKind;
  principal_id: string;
  roles: OperatorRole[];
  mode: KeyMode | null;
  not_before: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

/**
 * Issues, rotates and revokes credentials in the merchant database: the credential row (its id,
 * owner, roles or mode, validity and the SHA-256 of its derived secret: never the secret), the
 * credential.* event (outbox) every service's copy is fed by, and an audit row, in the caller's
 * transaction. The HTTP routes and the admin CLI both go through here.
 */
export class CredentialIssuer {
  constructor(
    private readonly outbox: Outbox,
    private readonly pepper: Buffer,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * How an answer showing a secret is kept with its Idempotency-Key (answerOnce): every `secret` and
   * `token` left out (never stored), and derived again from the pepper when the answer is given again.
   */
  secretFreeAnswers<T>(): AnswerCodec<T> {
    const pepper = this.pepper;
    const walk = (value: unknown, f: (o: Record<string, unknown>) => Record<string, unknown>): unknown => {
      if (Array.isArray(value)) return value.map((v) => walk(v, f));
      if (value === null || typeof value !== 'object') return value;
      const o = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, walk(v, f)]));
      return f(o);
    };
    return {
      store: (result) =>
        walk(result, (o) => {
          if (typeof o.credentialId !== 'string' || !('secret' in o)) return o;
          const { secret: _secret, token: _token, ...kept } = o;
          return { ...kept, secretDerived: true };
        }),
      restore: (stored) =>
        walk(stored, (o) => {
          if (o.secretDerived !== true || typeof o.credentialId !== 'string') return o;
          const { secretDerived: _derived, ...kept } = o;
          const secret = deriveSecret(pepper, o.credentialId);
          return { ...kept, secret, ...(o.kind === 'merchant-api-key' ? {} : { token: bearerToken(o.credentialId, secret) }) };
        }) as T,
    };
  }

  /** Creates (or re-roles) an operator and issues its token. */
  async createOperator(tx: EntityManager, operatorId: string, roles: OperatorRole[], actor: string, displayName = operatorId): Promise<IssuedCredential> {
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(operatorId)) throw new ApiError('VALIDATION_FAILED', 'operator id: letters, digits, _ . : - (1-64)', { field: 'operatorId' });
    if (roles.length === 0) throw new ApiError('VALIDATION_FAILED', 'an operator needs at least one role', { field: 'roles' });
    await tx.query(
      `INSERT INTO operator (operator_id, display_name, roles, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (operator_id) DO UPDATE SET roles = EXCLUDED.roles, status = 'active'`,
      [operatorId, displayName, roles, actor],
    );
    await appendAudit(tx, { actor: actorOf(actor), action: 'operator.created', subject: `operator:${operatorId}`, details: { roles } });
    return this.issue(tx, { kind: 'operator-token', principalId: operatorId, roles }, actor);
  }

  /**
   * The first admin operator, created with no operator to act for it (the setup bootstrap, actor
   * `system:setup`): only while the registry holds no usable admin token (an operator token with the
   * admin role, not revoked, expired or not yet valid: one `checkOperatorToken` would accept).
   * Concurrent bootstraps are serialised: one creates, the others see it. Undefined, with nothing
   * written, when an admin exists.
   */
  async createFirstAdmin(tx: EntityManager, operatorId: string, roles: OperatorRole[], actor: string, displayName = operatorId): Promise<IssuedCredential | undefined> {
    if (!roles.includes('admin')) throw new Error(`createFirstAdmin: ${operatorId} would have no admin role`);
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('merchant:first-admin'))`);
    // read after the lock (read committed: a fresh snapshot), so a bootstrap that committed meanwhile is seen
    const [found] = (await tx.query(
      `SELECT EXISTS (
         SELECT 1 FROM credential
          WHERE kind = 'operator-token' AND 'admin' = ANY (roles)
            AND revoked_at IS NULL AND not_before <= $1 AND (expires_at IS NULL OR expires_at > $1)
       ) AS admin_exists`,
      [this.now()],
    )) as Array<{ admin_exists: boolean }>;
    if (found?.admin_exists) return undefined;
    return this.createOperator(tx, operatorId, roles, actor, displayName);
  }

  /** Disables an operator and revokes every token it holds; the revoked ids. */
  async revokeOperator(tx: EntityManager, operatorId: string, actor: string): Promise<string[]> {
    const found = (await tx.query(`UPDATE operator SET status = 'disabled' WHERE operator_id = $1 RETURNING operator_id`, [operatorId])) as [unknown[], number];
    if (found[1] === 0) throw new ApiError('RESOURCE_NOT_FOUND', `no operator ${operatorId}`);
    await appendAudit(tx, { actor: actorOf(actor), action: 'operator.disabled', subject: `operator:${operatorId}` });
    const live = (await tx.query(`SELECT credential_id FROM credential WHERE kind = 'operator-token' AND principal_id = $1 AND revoked_at IS NULL`, [operatorId])) as Array<{ credential_id: string }>;
    for (const c of live) await this.revoke(tx, c.credential_id, actor);
    return live.map((c) => c.credential_id);
  }

  /** Issues a merchant API key (the merchant must be registered and not closed). */
  async createKey(tx: EntityManager, merchantId: string, mode: KeyMode, actor: string): Promise<IssuedCredential> {
    const rows = (await tx.query(`SELECT status FROM merchant WHERE merchant_id = $1`, [merchantId])) as Array<{ status: string }>;
    if (!rows[0]) throw new ApiError('MERCHANT_NOT_FOUND');
    if (rows[0].status === 'closed') throw new ApiError('MERCHANT_CLOSED');
    return this.issue(tx, { kind: 'merchant-api-key', principalId: merchantId, mode }, actor);
  }

  /** Issues a service token (e.g. settlement's for the gateway, monitoring's for /metrics). */
  async createServiceToken(tx: EntityManager, service: string, actor: string): Promise<IssuedCredential> {
    if (!/^[a-z0-9-]{1,32}$/.test(service)) throw new ApiError('VALIDATION_FAILED', 'service name: a-z 0-9 - (1-32)', { field: 'service' });
    return this.issue(tx, { kind: 'service-token', principalId: service }, actor);
  }

  /**
   * Rotates a merchant key: a new key of the same merchant and mode, and the old one expires after
   * the overlap (re-announced with its new expiry). `merchantId`, when given, must own the key.
   */
  async rotateKey(tx: EntityManager, keyId: string, overlapMs: number, actor: string, merchantId?: string): Promise<{ issued: IssuedCredential; old: { credentialId: string; expiresAt: string } }> {
    if (!Number.isInteger(overlapMs) || overlapMs < 0 || overlapMs > KEY_ROTATION_OVERLAP_MS_MAX) throw new ApiError('VALIDATION_FAILED', `overlap: 0 to ${KEY_ROTATION_OVERLAP_MS_MAX} ms`, { field: 'overlap' });
    const old = await this.lockedKey(tx, keyId, merchantId);
    if (old.revoked_at !== null || (old.expires_at !== null && old.expires_at.getTime() <= this.now().getTime())) throw new ApiError('AUTH_KEY_REVOKED', 'a revoked or expired key cannot be rotated');
    const expiresAt = new Date(Math.min(this.now().getTime() + overlapMs, old.expires_at?.getTime() ?? Number.POSITIVE_INFINITY));
    await tx.query(`UPDATE credential SET expires_at = $2 WHERE credential_id = $1`, [keyId, expiresAt]);
    await this.outbox.enqueue(tx, TOPICS.credentialIssued, {
      credentialId: keyId,
      kind: 'merchant-api-key',
      principalId: old.principal_id,
      mode: old.mode ?? undefined,
      notBefore: old.not_before.toISOString(),
      expiresAt: expiresAt.toISOString(),
      issuedAt: this.now().toISOString(),
    });
    const issued = await this.issue(tx, { kind: 'merchant-api-key', principalId: old.principal_id, mode: old.mode ?? 'live' }, actor);
    await appendAudit(tx, { actor: actorOf(actor), action: 'credential.rotated', subject: `credential:${keyId}`, details: { merchantId: old.principal_id, replacedBy: issued.credentialId, oldExpiresAt: expiresAt.toISOString() } });
    return { issued, old: { credentialId: keyId, expiresAt: expiresAt.toISOString() } };
  }

  /** Revokes a merchant key (owned by `merchantId` when given). */
  async revokeKey(tx: EntityManager, keyId: string, actor: string, merchantId?: string): Promise<void> {
    await this.lockedKey(tx, keyId, merchantId);
    await this.revoke(tx, keyId, actor);
  }

  /** A merchant's keys (never a secret). */
  async keysOf(tx: EntityManager, merchantId: string): Promise<Array<{ credentialId: string; mode: KeyMode; notBefore: string; expiresAt: string | null; revokedAt: string | null }>> {
    const rows = (await tx.query(
      `SELECT credential_id, mode, not_before, expires_at, revoked_at FROM credential WHERE kind = 'merchant-api-key' AND principal_id = $1 ORDER BY issued_at DESC LIMIT 100`,
      [merchantId],
    )) as CredentialRow[];
    return rows.map((r) => ({ credentialId: r.credential_id, mode: r.mode!, notBefore: r.not_before.toISOString(), expiresAt: r.expires_at?.toISOString() ?? null, revokedAt: r.revoked_at?.toISOString() ?? null }));
  }

  private async lockedKey(tx: EntityManager, keyId: string, merchantId: string | undefined): Promise<CredentialRow> {
    const rows = (await tx.query(`SELECT * FROM credential WHERE credential_id = $1 AND kind = 'merchant-api-key' FOR UPDATE`, [keyId])) as CredentialRow[];
    const row = rows[0];
    // another merchant's key answers like a missing one
    if (!row || (merchantId !== undefined && row.principal_id !== merchantId)) throw new ApiError('RESOURCE_NOT_FOUND', 'no such key');
    return row;
  }

  private async revoke(tx: EntityManager, credentialId: string, actor: string): Promise<void> {
    const rows = (await tx.query(`UPDATE credential SET revoked_at = COALESCE(revoked_at, $2) WHERE credential_id = $1 RETURNING kind, principal_id, revoked_at`, [credentialId, this.now()])) as [Array<{ kind: CredentialKind; principal_id: string; revoked_at: Date }>, number];
    const row = rows[0][0];
    if (!row) throw new ApiError('RESOURCE_NOT_FOUND', 'no such credential');
    await this.outbox.enqueue(tx, TOPICS.credentialRevoked, { credentialId, kind: row.kind, principalId: row.principal_id, revokedAt: row.revoked_at.toISOString() });
    await appendAudit(tx, { actor: actorOf(actor), action: 'credential.revoked', subject: `credential:${credentialId}`, details: { kind: row.kind, principalId: row.principal_id } });
  }

  private async issue(tx: EntityManager, spec: { kind: CredentialKind; principalId: string; roles?: OperatorRole[]; mode?: KeyMode }, actor: string): Promise<IssuedCredential> {
    const credentialId =
      spec.kind === 'merchant-api-key'
        ? newCredentialId({ kind: spec.kind, mode: spec.mode ?? 'live' })
        : spec.kind === 'operator-token'
          ? newCredentialId({ kind: spec.kind })
          : newCredentialId({ kind: spec.kind, service: spec.principalId });
    const secret = deriveSecret(this.pepper, credentialId);
    const now = this.now();
    await tx.query(
      `INSERT INTO credential (credential_id, kind, principal_id, roles, mode, secret_sha256, not_before, expires_at, issued_by, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $7)`,
      [credentialId, spec.kind, spec.principalId, spec.roles ?? [], spec.mode ?? null, secretSha256(secret), now, actor],
    );
    await this.outbox.enqueue(tx, TOPICS.credentialIssued, {
      credentialId,
      kind: spec.kind,
      principalId: spec.principalId,
      ...(spec.roles ? { roles: spec.roles } : {}),
      ...(spec.mode ? { mode: spec.mode } : {}),
      notBefore: now.toISOString(),
      expiresAt: null,
      issuedAt: now.toISOString(),
    });
    await appendAudit(tx, { actor: actorOf(actor), action: 'credential.issued', subject: `credential:${credentialId}`, details: { kind: spec.kind, principalId: spec.principalId, roles: spec.roles ?? [], mode: spec.mode ?? null } });
    return {
      credentialId,
      kind: spec.kind,
      principalId: spec.principalId,
      ...(spec.roles ? { roles: spec.roles } : {}),
      ...(spec.mode ? { mode: spec.mode } : {}),
      secret,
      ...(spec.kind === 'merchant-api-key' ? {} : { token: bearerToken(credentialId, secret) }),
      expiresAt: null,
    };
  }
}

function actorOf(text: string) {
  const actor = Actors.parse(text);
  if (!actor) throw new Error(`not an actor: ${text}`);
  return actor;
}
