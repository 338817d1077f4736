import type { EntityManager } from '@paystream/shared/persistence';

/**
 * Idempotency keys of POST /payments: a key always answers with the payment it first created. A key
 * is its merchant's own: another merchant's same key is another key.
 */
export class IdempotencyKeyRepository {
  async find(tx: EntityManager, merchantId: string, key: string): Promise<{ requestHash: string; paymentId: string } | undefined> {
    const rows: { request_hash: string; payment_id: string }[] = await tx.query(
      `SELECT request_hash, payment_id FROM idempotency_key WHERE merchant_id = $1 AND key = $2`,
      [merchantId, key],
    );
    return rows[0] ? { requestHash: rows[0].request_hash, paymentId: rows[0].payment_id } : undefined;
  }

  /** Claims the merchant's key for its payment; false when a concurrent request of the merchant claimed it first. */
  async claim(tx: EntityManager, merchantId: string, key: string, requestHash: string, paymentId: string): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO idempotency_key (merchant_id, key, request_hash, payment_id) VALUES ($1, $2, $3, $4) ON CONFLICT (merchant_id, key) DO NOTHING RETURNING key`,
      [merchantId, key, requestHash, paymentId],
    );
    return rows.length === 1;
  }
}
