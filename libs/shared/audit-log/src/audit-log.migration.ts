import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hash-chained audit log every service keeps in its own database, and its one-row chain head.
 * Append-only in the database too: triggers refuse UPDATE, DELETE and TRUNCATE of audit_log, a row
 * must extend the head (seq = head + 1, prev_hash = head's hash), and the head only moves onto the
 * row just appended. (Least-privilege roles will REVOKE UPDATE/DELETE as well; a superuser can
 * still switch triggers off, which is what `npm run audit -- verify` is for.)
 */
export class AuditLogTables1765400000000 implements MigrationInterface {
  name = 'AuditLogTables1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        seq          BIGINT PRIMARY KEY CHECK (seq >= 1),
        occurred_at  TIMESTAMPTZ(3) NOT NULL,
        actor        TEXT NOT NULL,
        action       TEXT NOT NULL,
        subject      TEXT NOT NULL,
        details      JSONB NOT NULL,
        prev_hash    CHAR(64) NOT NULL,
        hash         CHAR(64) NOT NULL UNIQUE
      )`);
    await q.query(`CREATE INDEX audit_log_subject_idx ON audit_log (subject)`);
    await q.query(`
      CREATE TABLE audit_log_head (
        id    SMALLINT PRIMARY KEY CHECK (id = 1),
        seq   BIGINT NOT NULL,
        hash  CHAR(64) NOT NULL
      )`);
    await q.query(`INSERT INTO audit_log_head (id, seq, hash) VALUES (1, 0, repeat('0', 64))`);
    // SET search_path FROM CURRENT: the functions resolve this schema's tables whoever calls them
    await q.query(`
      CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      BEGIN
        RAISE EXCEPTION 'AUDIT_LOG_APPEND_ONLY: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE FUNCTION audit_log_check_append() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      DECLARE head audit_log_head;
      BEGIN
        SELECT * INTO head FROM audit_log_head WHERE id = 1;
        IF NEW.seq <> head.seq + 1 OR NEW.prev_hash <> head.hash THEN
          RAISE EXCEPTION 'AUDIT_LOG_FORK: row % (prev %) does not extend the head % (%)', NEW.seq, NEW.prev_hash, head.seq, head.hash USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE FUNCTION audit_log_head_advance() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      BEGIN
        IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
           OR NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash AND prev_hash = OLD.hash) THEN
          RAISE EXCEPTION 'AUDIT_LOG_FORK: the head moves only onto the row just appended' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_log_extends_head BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_check_append()`);
    await q.query(`CREATE TRIGGER audit_log_head_moves_on BEFORE UPDATE ON audit_log_head FOR EACH ROW EXECUTE FUNCTION audit_log_head_advance()`);
    await q.query(`CREATE TRIGGER audit_log_head_kept BEFORE DELETE ON audit_log_head FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()`);
    await q.query(`CREATE TRIGGER audit_log_head_no_truncate BEFORE TRUNCATE ON audit_log_head FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log_head`);
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP FUNCTION audit_log_head_advance()`);
    await q.query(`DROP FUNCTION audit_log_check_append()`);
    await q.query(`DROP FUNCTION audit_log_refuse_change()`);
  }
}

/** The audit log migrations, in order: every service runs them with the outbox/inbox ones (see Platform.open). */
export const AUDIT_LOG_MIGRATIONS = [AuditLogTables1765400000000];
