import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every service's auth tables: its local copy of the credentials the merchant service issued
 * (fed by credential.issued.v1 / credential.revoked.v1; no secret, no hash: a secret is derived
 * from the pepper), and the nonces of signed requests seen in the last NONCE_RETENTION_S, shared by
 * every replica of the service.
 */
export class AuthTables1765600000000 implements MigrationInterface {
  name = 'AuthTables1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE credential_copy (
        credential_id TEXT PRIMARY KEY,
        kind          TEXT NOT NULL CHECK (kind IN ('merchant-api-key', 'operator-token', 'service-token')),
        principal_id  TEXT NOT NULL,
        roles         TEXT[] NOT NULL DEFAULT '{}',
        mode          TEXT CHECK (mode IN ('test', 'live')),
        not_before    TIMESTAMPTZ NOT NULL,
        expires_at    TIMESTAMPTZ,
        revoked_at    TIMESTAMPTZ,
        updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE auth_nonce (
        key_id  TEXT NOT NULL,
        nonce   TEXT NOT NULL,
        seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (key_id, nonce)
      )`);
    await q.query(`CREATE INDEX auth_nonce_seen_at_idx ON auth_nonce (seen_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE auth_nonce`);
    await q.query(`DROP TABLE credential_copy`);
  }
}

/** The auth tables' migrations, run by the platform for every service (like the outbox and audit ones). */
export const AUTH_MIGRATIONS = [AuthTables1765600000000];
