import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every service's keyed write requests (the operator and key routes): the first answer given to a
 * principal's Idempotency-Key, with the hash of what it asked for. Keys belong to their principal:
 * the same key of two principals is two requests.
 */
export class IdempotentRequestTable1765700000000 implements MigrationInterface {
  name = 'IdempotentRequestTable1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotent_request (
        principal       TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        route           TEXT NOT NULL,
        request_hash    CHAR(64) NOT NULL,
        response        JSONB,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (principal, idempotency_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotent_request`);
  }
}

/**
 * An index on idempotent_request.created_at, so the janitor finds keys past their retention without
 * scanning the table (not CONCURRENTLY, like the inbox's: the table is small and a plain build runs once).
 */
export class IdempotentRequestCreatedAtIndex1766100000000 implements MigrationInterface {
  name = 'IdempotentRequestCreatedAtIndex1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS idempotent_request_created_at_idx ON idempotent_request (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idempotent_request_created_at_idx`);
  }
}

/** Run by the platform for every service (with the outbox, audit and auth ones). */
export const IDEMPOTENT_REQUEST_MIGRATIONS = [IdempotentRequestTable1765700000000, IdempotentRequestCreatedAtIndex1766100000000];
