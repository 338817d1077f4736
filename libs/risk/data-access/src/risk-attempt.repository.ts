import type { AttemptCounts, AttemptDimension, AttemptOutcome, AttemptQuery, UserDeviceHistory } from '@paystream/risk/domain';
import { affectedRows, type EntityManager } from '@paystream/shared/persistence';

/** One assessed payment with the shopper signals it came with. */
export interface AttemptRecord {
  paymentId: string;
  userId: string;
  merchantId: string;
  cardToken?: string;
  deviceId?: string;
  ip?: string;
  amountMinor: bigint;
  currency: string;
  outcome: Exclude<AttemptOutcome, 'failed'>;
}

/** The column of each dimension (a fixed map: no caller text ever becomes SQL). */
const DIMENSION_COLUMN: Readonly<Record<AttemptDimension, string>> = { cardToken: 'card_token', deviceId: 'device_id', ip: 'ip' };
/** Namespaces risk's advisory locks from any other user of the database's. */
const LOCK_NAMESPACE = 'risk-attempt:';

/** The attempt history rules count per card, device and IP (at every merchant), and per merchant's user (risk_attempt). */
export class RiskAttemptRepository {
  /**
   * Takes a transaction-scoped advisory lock per key, in the order given (attemptLockKeysOf sorts
   * them): concurrent assessments on one card, device or IP then count each other's attempts, so a
   * velocity or cap on it is exact rather than a race. Must run in the assessment's transaction.
   */
  async lock(tx: EntityManager, keys: readonly string[]): Promise<void> {
    if (keys.length > 0 && !tx.queryRunner?.isTransactionActive) throw new Error('attempt locks must be taken inside a transaction');
    for (const key of keys) await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`${LOCK_NAMESPACE}${key}`]);
  }

  /** Records an assessed payment's attempt (once: a repeat keeps the first). */
  async record(tx: EntityManager, a: AttemptRecord): Promise<void> {
    await tx.query(
      `INSERT INTO risk_attempt (payment_id, user_id, merchant_id, card_token, device_id, ip, amount_minor, currency, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (payment_id) DO NOTHING`,
      [a.paymentId, a.userId, a.merchantId, a.cardToken ?? null, a.deviceId ?? null, a.ip ?? null, a.amountMinor.toString(), a.currency, a.outcome],
    );
  }

  /** approved -> failed once the payment failed after risk let it through; whether this call moved it. */
  async markFailed(tx: EntityManager, paymentId: string): Promise<boolean> {
    const result = await tx.query(`UPDATE risk_attempt SET outcome = 'failed', updated_at = now() WHERE payment_id = $1 AND outcome = 'approved'`, [paymentId]);
    return affectedRows(result) === 1;
  }

  /**
   * The attempts other than paymentId on the query's card, device or IP in its window (database
   * clock), at every merchant: a card token names one card wherever it pays (a device and an IP one
   * device and network), so testing a card across merchants counts as one card's attempts. The users
   * among them are merchants' users: another merchant's user of the same id is another user.
   */
  async counts(tx: EntityManager, q: AttemptQuery, merchantId: string, userId: string, paymentId: string): Promise<AttemptCounts> {
    const column = DIMENSION_COLUMN[q.dimension];
    const [row]: { attempts: number; small: number; declined: number; other_users: number }[] = await tx.query(
      `SELECT count(*)::int AS attempts,
              count(*) FILTER (WHERE amount_minor <= $3::bigint)::int AS small,
              count(*) FILTER (WHERE outcome IN ('declined', 'failed'))::int AS declined,
              count(DISTINCT (merchant_id, user_id)) FILTER (WHERE (merchant_id, user_id) <> ($4, $5))::int AS other_users
         FROM risk_attempt
        WHERE ${column} = $1 AND at > now() - make_interval(secs => $2) AND payment_id <> $6`,
      [q.value, q.windowSeconds, q.smallAmountMaxMinor?.toString() ?? null, merchantId, userId, paymentId],
    );
    return { attempts: row?.attempts ?? 0, smallAttempts: row?.small ?? 0, declinedAttempts: row?.declined ?? 0, otherUsers: row?.other_users ?? 0 };
  }

  /** The merchant's user's attempts other than paymentId (at that merchant): all of them, and those from deviceId. */
  async userDevice(tx: EntityManager, merchantId: string, userId: string, deviceId: string, paymentId: string): Promise<UserDeviceHistory> {
    const [row]: { total: number; on_device: number }[] = await tx.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE device_id = $3)::int AS on_device
         FROM risk_attempt WHERE merchant_id = $1 AND user_id = $2 AND payment_id <> $4`,
      [merchantId, userId, deviceId, paymentId],
    );
    return { userAttempts: row?.total ?? 0, onDevice: row?.on_device ?? 0 };
  }

  /**
   * Deletes up to batchSize attempts older than retentionDays (database clock), oldest first; how
   * many it deleted. Rows another transaction holds (an assessment or a failure marking them) are
   * skipped rather than waited for, and left for a later batch.
   */
  async pruneOlderThan(tx: EntityManager, retentionDays: number, batchSize: number): Promise<number> {
    const result = await tx.query(
      `DELETE FROM risk_attempt WHERE payment_id IN (
         SELECT payment_id FROM risk_attempt WHERE at < now() - make_interval(days => $1) ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [retentionDays, batchSize],
    );
    return affectedRows(result);
  }

  /** The payment's attempt, if it was assessed (for tests and audit). */
  async find(tx: EntityManager, paymentId: string): Promise<{ outcome: AttemptOutcome; cardToken: string | null; deviceId: string | null; ip: string | null } | undefined> {
    const rows: { outcome: AttemptOutcome; card_token: string | null; device_id: string | null; ip: string | null }[] = await tx.query(
      `SELECT outcome, card_token, device_id, ip FROM risk_attempt WHERE payment_id = $1`,
      [paymentId],
    );
    return rows[0] ? { outcome: rows[0].outcome, cardToken: rows[0].card_token, deviceId: rows[0].device_id, ip: rows[0].ip } : undefined;
  }
}
