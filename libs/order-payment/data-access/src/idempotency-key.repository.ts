import type { EntityManager } from '@paystream/shared/persistence';

/** Idempotency keys of POST /payments: a key always answers with the payment it first created. */
export class IdempotencyKeyRepository {
  async find(tx: EntityManager, key: string): Promise<{ requestHash: string; paymentId: string } | undefined> {
    const rows: { request_hash: string; payment_id: string }[] = await tx.query(
      `SELECT request_hash, payment_id FROM idempotency_key WHERE key = $1`,
      [key],
    );
    return rows[0] ? { requestHash: rows[0].request_hash, paymentId: rows[0].payment_id } : undefined;
  }

  /** Claims the key; false when a concurrent request claimed it first. */
  async claim(tx: EntityManager, key: string, requestHash: string, paymentId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO idempotency_key (key, request_hash, payment_id) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, requestHash, paymentId],
    );
    return rows.length === 1;
  }
}
