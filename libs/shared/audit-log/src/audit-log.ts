import type { EntityManager } from 'typeorm';
import { Actors } from './actor';
import { canonicalValue } from './canonical-json';
import { auditContent, auditHash, checkAuditEntry, type AuditEntry, type AuditRecord } from './audit-entry';

/**
 * Appends one row to this database's audit chain in the caller's transaction, so the row commits
 * or rolls back with the change it records. The chain head row is locked (FOR UPDATE) until that
 * transaction ends: appends from every replica line up one after another (no fork), and a rolled
 * back one leaves neither a row nor a gap (seq comes from the head, not a sequence). Append last
 * in the transaction: the head lock is then held only for the commit, and no other lock is taken
 * while it is held (no deadlock with another appender). Throws outside a transaction.
 */
export async function appendAudit(tx: EntityManager, entry: AuditEntry): Promise<AuditRecord> {
  if (!tx.queryRunner?.isTransactionActive) throw new Error('audit: append in the transaction of the change (this manager has none open)');
  checkAuditEntry(entry);
  const heads: { seq: string; hash: string }[] = await tx.query(`SELECT seq, hash FROM audit_log_head WHERE id = 1 FOR UPDATE`);
  const head = heads[0];
  if (!head) throw new Error('audit: no chain head (the audit log migration has not run)');
  const record = {
    seq: BigInt(head.seq) + 1n,
    occurredAt: new Date(),
    actor: Actors.format(entry.actor),
    action: entry.action,
    subject: entry.subject,
    // stored as it is hashed: bigints and dates already strings, so JSONB gives the same value back
    details: canonicalValue(entry.details ?? {}),
    prevHash: head.hash,
  };
  const hash = auditHash(record.prevHash, auditContent(record));
  await tx.query(
    `INSERT INTO audit_log (seq, occurred_at, actor, action, subject, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [record.seq.toString(), record.occurredAt, record.actor, record.action, record.subject, JSON.stringify(record.details), record.prevHash, hash],
  );
  await tx.query(`UPDATE audit_log_head SET seq = $1, hash = $2 WHERE id = 1`, [record.seq.toString(), hash]);
  return { ...record, hash };
}

interface RawAuditRow {
  seq: string;
  occurred_at: Date;
  actor: string;
  action: string;
  subject: string;
  details: unknown;
  prev_hash: string;
  hash: string;
}

/** A stored row as an AuditRecord. */
export function auditRecordOf(r: RawAuditRow): AuditRecord {
  return { seq: BigInt(r.seq), occurredAt: r.occurred_at, actor: r.actor, action: r.action, subject: r.subject, details: r.details, prevHash: r.prev_hash, hash: r.hash };
}

/** The rows about a subject, oldest first (for specs and operators' look-ups). */
export async function auditRowsAbout(q: Pick<EntityManager, 'query'>, subject: string): Promise<AuditRecord[]> {
  const rows: RawAuditRow[] = await q.query(`SELECT * FROM audit_log WHERE subject = $1 ORDER BY seq`, [subject]);
  return rows.map(auditRecordOf);
}

/** Reads rows after a seq, in order, at most limit of them. */
export async function auditRowsAfter(q: Pick<EntityManager, 'query'>, afterSeq: bigint, limit: number): Promise<AuditRecord[]> {
  const rows: RawAuditRow[] = await q.query(`SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq.toString(), limit]);
  return rows.map(auditRecordOf);
}
