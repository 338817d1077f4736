import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The merchant registry: merchants with their terms and the payout account in effect, every write
 * request by its Idempotency-Key, four-eyes payout account change proposals, operators, and
 * credentials (merchant API keys, operator and service tokens: the id, owner, roles, validity and
 * the SHA-256 of the derived secret, never the secret). The outbox, inbox and audit log come from
 * the platform.
 */
export class MerchantTables1765500000000 implements MigrationInterface {
  name = 'MerchantTables1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE merchant (
        merchant_id         TEXT PRIMARY KEY CHECK (merchant_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
        version             INT NOT NULL CHECK (version >= 1),
        status              TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
        legal_name          TEXT NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 200),
        contact_name        TEXT NOT NULL,
        contact_email       TEXT NOT NULL,
        contact_phone       TEXT,
        schedule            TEXT NOT NULL CHECK (schedule IN ('realtime', 't_plus_n')),
        n_days              INT NOT NULL CHECK (n_days BETWEEN 0 AND 30),
        cutoff_time         TEXT NOT NULL CHECK (cutoff_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        payout_min_minor    BIGINT NOT NULL CHECK (payout_min_minor BETWEEN 0 AND 100000000),
        reserve_bps         INT NOT NULL CHECK (reserve_bps BETWEEN 0 AND 10000),
        reserve_hold_days   INT NOT NULL CHECK (reserve_hold_days BETWEEN 0 AND 365),
        fee_bps             INT NOT NULL CHECK (fee_bps BETWEEN 0 AND 10000),
        fee_fixed_minor     BIGINT NOT NULL CHECK (fee_fixed_minor BETWEEN 0 AND 1000000),
        fee_min_minor       BIGINT NOT NULL CHECK (fee_min_minor BETWEEN 0 AND 1000000),
        fee_max_minor       BIGINT CHECK (fee_max_minor BETWEEN 0 AND 1000000),
        payout_bank_code    TEXT NOT NULL CHECK (payout_bank_code ~ '^[1-9][0-9]{11}$'),
        payout_account_no   TEXT NOT NULL CHECK (payout_account_no ~ '^[0-9]{8,32}$'),
        payout_account_name TEXT NOT NULL CHECK (length(payout_account_name) BETWEEN 1 AND 100),
        created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
        CONSTRAINT merchant_fee_bounds CHECK (fee_max_minor IS NULL OR fee_max_minor >= fee_min_minor),
        CONSTRAINT merchant_reserve_hold CHECK (reserve_bps = 0 OR reserve_hold_days > 0)
      )`);
    // a write request by its Idempotency-Key: the same key and body answer the first outcome again
    await q.query(`
      CREATE TABLE merchant_request (
        idempotency_key TEXT PRIMARY KEY,
        action          TEXT NOT NULL,
        merchant_id     TEXT NOT NULL,
        request_hash    TEXT NOT NULL,
        response        JSONB NOT NULL,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE payout_account_change (
        id                 UUID PRIMARY KEY,
        seq                BIGINT GENERATED ALWAYS AS IDENTITY, -- the order proposals were made in
        merchant_id        TEXT NOT NULL REFERENCES merchant (merchant_id),
        state              TEXT NOT NULL CHECK (state IN ('proposed', 'approved', 'effective', 'rejected', 'cancelled')),
        bank_code          TEXT NOT NULL CHECK (bank_code ~ '^[1-9][0-9]{11}$'),
        account_no         TEXT NOT NULL CHECK (account_no ~ '^[0-9]{8,32}$'),
        account_name       TEXT NOT NULL CHECK (length(account_name) BETWEEN 1 AND 100),
        proposed_by        TEXT NOT NULL,
        proposed_at        TIMESTAMPTZ NOT NULL,
        approved_by        TEXT,
        approved_at        TIMESTAMPTZ,
        effective_at       TIMESTAMPTZ,
        closed_by          TEXT,
        closed_at          TIMESTAMPTZ,
        note               TEXT,
        CONSTRAINT payout_account_change_four_eyes CHECK (approved_by IS NULL OR approved_by <> proposed_by),
        CONSTRAINT payout_account_change_approved CHECK (state NOT IN ('approved', 'effective') OR (approved_by IS NOT NULL AND effective_at IS NOT NULL))
      )`);
    // at most one change in progress per merchant
    await q.query(`CREATE UNIQUE INDEX payout_account_change_open_idx ON payout_account_change (merchant_id) WHERE state IN ('proposed', 'approved')`);
    await q.query(`CREATE INDEX payout_account_change_due_idx ON payout_account_change (effective_at) WHERE state = 'approved'`);
    await q.query(`
      CREATE TABLE operator (
        operator_id  TEXT PRIMARY KEY CHECK (operator_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
        display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
        roles        TEXT[] NOT NULL CHECK (roles <@ ARRAY['finance', 'risk', 'sre', 'admin']::TEXT[]),
        status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        created_by   TEXT NOT NULL,
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE credential (
        credential_id TEXT PRIMARY KEY CHECK (credential_id ~ '^(pk_(live|test)_|op_|svc_[a-z0-9-]{1,32}_)[0-9A-Za-z]{22}$'),
        kind          TEXT NOT NULL CHECK (kind IN ('merchant-api-key', 'operator-token', 'service-token')),
        principal_id  TEXT NOT NULL,
        roles         TEXT[] NOT NULL DEFAULT '{}' CHECK (roles <@ ARRAY['finance', 'risk', 'sre', 'admin']::TEXT[]),
        mode          TEXT CHECK (mode IN ('test', 'live')),
        secret_sha256 TEXT NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
        not_before    TIMESTAMPTZ NOT NULL,
        expires_at    TIMESTAMPTZ,
        revoked_at    TIMESTAMPTZ,
        issued_by     TEXT NOT NULL,
        issued_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
        CONSTRAINT credential_mode CHECK ((kind = 'merchant-api-key') = (mode IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX credential_principal_idx ON credential (kind, principal_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE credential`);
    await q.query(`DROP TABLE operator`);
    await q.query(`DROP TABLE payout_account_change`);
    await q.query(`DROP TABLE merchant_request`);
    await q.query(`DROP TABLE merchant`);
  }
}

/**
 * The registry's writes keep their Idempotency-Keys per principal in the platform's
 * idempotent_request (docs/design/trust-boundary.md section 7), not in merchant_request, whose keys
 * were global. Keys used before are forgotten: a retry with one is decided afresh (an onboarding
 * done already answers MERCHANT_ALREADY_REGISTERED).
 */
export class MerchantRequestsPerPrincipal1765740000000 implements MigrationInterface {
  name = 'MerchantRequestsPerPrincipal1765740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE merchant_request`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE merchant_request (
        idempotency_key TEXT PRIMARY KEY,
        action          TEXT NOT NULL,
        merchant_id     TEXT NOT NULL,
        request_hash    TEXT NOT NULL,
        response        JSONB NOT NULL,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }
}

/** The merchant service's migrations, in order. */
export const MERCHANT_MIGRATIONS = [MerchantTables1765500000000, MerchantRequestsPerPrincipal1765740000000];
