import {
  assertReservable,
  limitPeriodsAt,
  type CapScope,
  reservationStatusesLeadingTo,
  type LimitExceededCode,
  type LimitUsage,
  type ReservationStatus,
  type ReserveRequest,
  type ReserveResult,
} from '@paystream/risk/domain';
import { affectedRows, toBigInt, type EntityManager } from '@paystream/shared/persistence';

/** A payment's hold on its user's limits, as stored. */
export interface LimitReservation {
  paymentId: string;
  /**
   * The payment's merchant, whose user userId is: the user's day and year it holds are that
   * merchant's user's (null only for a released placeholder of a failure from before merchants were kept).
   */
  merchantId: string | null;
  userId: string;
  /** The card whose daily cap it also holds (null: none). */
  cardToken: string | null;
  amountMinor: bigint;
  currency: string;
  /** The Asia/Shanghai day (yyyy-MM-dd) and year the amount counts in. */
  day: string;
  year: number;
  status: ReservationStatus;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  payment_id: string;
  user_id: string;
  merchant_id: string | null;
  card_token: string | null;
  amount_minor: string;
  currency: string;
  day: string;
  year: number;
  status: ReservationStatus;
  created_at: Date;
  updated_at: Date;
}

// DATE as text: the pg driver would turn it into a Date at local midnight
const COLUMNS = `payment_id, user_id, merchant_id, card_token, amount_minor::text AS amount_minor, currency, to_char(day, 'YYYY-MM-DD') AS day, year, status, created_at, updated_at`;
const RESERVE_SAVEPOINT = 'limit_reservation_reserve';

type PeriodKind = 'day' | 'year';
type Scope = 'user' | CapScope;

/**
 * One usage counter a reservation adds to, with the limit it must stay within (undefined: none) and
 * the answer if it would not. A user's counter names the merchant whose user it is (user ids are
 * each merchant's own); a merchant's or card's cap names none (null).
 */
interface Counter {
  scope: Scope;
  merchantId: string | null;
  subjectId: string;
  kind: PeriodKind;
  key: string;
  limitMinor: bigint | undefined;
  code: LimitExceededCode;
}

/**
 * The counters of a reservation in lock order: the merchant's user's day and year, then the
 * merchant's day (unless the reservation predates the merchant caps), then the card's.
 */
function countersOf(
  r: { merchantId: string; userId: string; holdsMerchantCap: boolean; cardToken: string | null; day: string; year: string },
  limits: ReserveRequest['limits'] = {},
  caps: ReserveRequest['caps'] = {},
): Counter[] {
  const daily = 'RISK_DAILY_LIMIT_EXCEEDED' as const;
  return [
    { scope: 'user', merchantId: r.merchantId, subjectId: r.userId, kind: 'day', key: r.day, limitMinor: limits.dailyMinor, code: daily },
    { scope: 'user', merchantId: r.merchantId, subjectId: r.userId, kind: 'year', key: r.year, limitMinor: limits.yearlyMinor, code: 'RISK_YEARLY_LIMIT_EXCEEDED' },
    ...(r.holdsMerchantCap ? [{ scope: 'merchant', merchantId: null, subjectId: r.merchantId, kind: 'day', key: r.day, limitMinor: caps.merchantDailyMinor, code: daily } as const] : []),
    ...(r.cardToken !== null ? [{ scope: 'card', merchantId: null, subjectId: r.cardToken, kind: 'day', key: r.day, limitMinor: caps.cardDailyMinor, code: daily } as const] : []),
  ];
}

function toReservation(r: Row): LimitReservation {
  return {
    paymentId: r.payment_id,
    merchantId: r.merchant_id,
    userId: r.user_id,
    cardToken: r.card_token,
    amountMinor: toBigInt(r.amount_minor),
    currency: r.currency.trim(),
    day: r.day,
    year: r.year,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function assertInTransaction(tx: EntityManager, what: string): void {
  // the savepoint and the locks taken must live exactly as long as the caller's transaction
  if (!tx.queryRunner?.isTransactionActive) throw new Error(`${what} must run inside a transaction`);
}

/**
 * Daily and yearly limits, and the merchant and card daily caps, held as reservations in risk's
 * database. A user's limits are its merchant's user's: user ids are chosen by each merchant, so the
 * same id at two merchants is two shoppers with counters of their own; a card's cap counts the card
 * at every merchant. Concurrency control is the guarded upsert of each counter (user day, user year,
 * merchant day, card day): the row lock it takes serialises the reservations sharing it, and its
 * WHERE re-reads the committed count, so reservations that together exceed a limit can never all
 * pass. Every method touches the counters in that one order, so two transactions never wait on each
 * other's counters in opposite orders.
 */
export class LimitReservationRepository {
  /**
   * Holds amountMinor against the merchant's user's day and year (the Asia/Shanghai ones `at` falls
   * in), the merchant's day, and the card's day when the request names one, each
   * checked against its limit or cap when one is given (counted either way, so a later change of level sees
   * the true usage). Reserving a payment that has a reservation returns ok and counts nothing more,
   * whatever its status and amount (compare with find() to spot a changed request). A rejection
   * leaves nothing behind: the work is undone to a savepoint inside the caller's transaction, which
   * may go on and commit (to store the rejection, say). A rejection is not remembered, so a payment
   * rejected before is judged again when reserved again. Must run in a transaction.
   */
  async reserve(tx: EntityManager, r: ReserveRequest): Promise<ReserveResult> {
    assertInTransaction(tx, 'reserve');
    assertReservable(r);
    const { day, year } = limitPeriodsAt(r.at);
    await tx.query(`SAVEPOINT ${RESERVE_SAVEPOINT}`);
    // a concurrent reserve of the same payment waits here on the primary key until the first one ends
    const cardToken = r.cardToken ?? null;
    const inserted: unknown[] = await tx.query(
      `INSERT INTO limit_reservation (payment_id, user_id, merchant_id, card_token, amount_minor, currency, day, year, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'RESERVED')
       ON CONFLICT (payment_id) DO NOTHING
       RETURNING payment_id`,
      [r.paymentId, r.userId, r.merchantId, cardToken, r.amountMinor.toString(), r.currency, day, year],
    );
    if (inserted.length === 1) {
      for (const c of countersOf({ merchantId: r.merchantId, userId: r.userId, holdsMerchantCap: true, cardToken, day, year: String(year) }, r.limits, r.caps)) {
        if (await this.addWithinLimit(tx, c, r.amountMinor)) continue;
        const usedMinor = await this.used(tx, c);
        await tx.query(`ROLLBACK TO SAVEPOINT ${RESERVE_SAVEPOINT}`);
        await tx.query(`RELEASE SAVEPOINT ${RESERVE_SAVEPOINT}`);
        return { ok: false, code: c.code, usedMinor, limitMinor: c.limitMinor!, ...(c.scope !== 'user' ? { cap: c.scope } : {}) };
      }
    }
    await tx.query(`RELEASE SAVEPOINT ${RESERVE_SAVEPOINT}`);
    return { ok: true };
  }

  /** RESERVED -> COMMITTED: the payment went through and keeps its usage. Whether this call moved it. */
  async commit(tx: EntityManager, paymentId: string): Promise<boolean> {
    const result = await tx.query(
      `UPDATE limit_reservation SET status = 'COMMITTED', updated_at = now() WHERE payment_id = $1 AND status = ANY($2::text[])`,
      [paymentId, reservationStatusesLeadingTo('COMMITTED')],
    );
    return affectedRows(result) === 1;
  }

  /**
   * RESERVED or COMMITTED -> RELEASED, giving the amount back to the day and year it was counted in.
   * Whether this call released it: a second release finds it RELEASED and gives back nothing.
   */
  async release(tx: EntityManager, paymentId: string): Promise<boolean> {
    assertInTransaction(tx, 'release');
    // the guarded update locks the reservation, so of two concurrent releases only one gives back
    // an UPDATE through TypeORM answers [rows, rowCount]
    type Released = { user_id: string; merchant_id: string; holds_merchant_cap: boolean; card_token: string | null; amount_minor: string; day: string; year: string };
    // (a holding reservation always names its merchant: limit_reservation_holding_names_merchant)
    const [released]: [Released[], number] = await tx.query(
      `UPDATE limit_reservation SET status = 'RELEASED', updated_at = now()
        WHERE payment_id = $1 AND status = ANY($2::text[])
        RETURNING user_id, merchant_id, holds_merchant_cap, card_token, amount_minor::text AS amount_minor, to_char(day, 'YYYY-MM-DD') AS day, year::text AS year`,
      [paymentId, reservationStatusesLeadingTo('RELEASED')],
    );
    const r = released[0];
    if (!r) return false;
    for (const c of countersOf({ merchantId: r.merchant_id, userId: r.user_id, holdsMerchantCap: r.holds_merchant_cap, cardToken: r.card_token, day: r.day, year: r.year })) {
      const result = await tx.query(
        `UPDATE limit_usage SET used_minor = used_minor - $6::bigint, updated_at = now()
          WHERE scope = $1 AND merchant_id IS NOT DISTINCT FROM $2 AND subject_id = $3 AND period_kind = $4 AND period_key = $5`,
        [c.scope, c.merchantId, c.subjectId, c.kind, c.key, r.amount_minor],
      );
      // a held reservation without its counter means the tables disagree: stop rather than guess
      if (affectedRows(result) !== 1) throw new Error(`limit usage ${c.scope} ${c.kind} ${c.key} of a reservation is missing`);
    }
    return true;
  }

  /**
   * A failure of the payment: releases its reservation, and when it has none yet (the failure was
   * told before the decision that reserves was stored), leaves a RELEASED one in its place, so a
   * later reserve of the payment finds it and holds nothing. A reserve still in flight makes the
   * placeholder wait for it; once it committed, its reservation is released instead.
   * 'released' when this call released a hold, 'forestalled' when it left the placeholder, 'none'
   * when there was nothing to do (released before). Must run in a transaction.
   */
  async releaseOrForestall(tx: EntityManager, p: Pick<ReserveRequest, 'paymentId' | 'merchantId' | 'userId' | 'amountMinor' | 'currency' | 'at'>): Promise<'released' | 'forestalled' | 'none'> {
    assertInTransaction(tx, 'releaseOrForestall');
    if (await this.release(tx, p.paymentId)) return 'released';
    const { day, year } = limitPeriodsAt(p.at);
    const placed: unknown[] = await tx.query(
      `INSERT INTO limit_reservation (payment_id, merchant_id, user_id, amount_minor, currency, day, year, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'RELEASED')
       ON CONFLICT (payment_id) DO NOTHING
       RETURNING payment_id`,
      [p.paymentId, p.merchantId, p.userId, p.amountMinor.toString(), p.currency, day, year],
    );
    if (placed.length === 1) return 'forestalled';
    // a reservation committed while the insert waited on it: this statement sees it
    return (await this.release(tx, p.paymentId)) ? 'released' : 'none';
  }

  /**
   * A refund of the payment: recorded once per refundId (told again, it counts nothing more), and
   * once the refunds recorded add up to the reserved amount, the reservation is released (a partial
   * refund keeps the hold: the rest of the money was still spent). 'released' when this call
   * released it; 'held' when it still holds; 'none' when the payment has no reservation (rejected,
   * or decided before limits existed). Must run in a transaction.
   */
  async refund(tx: EntityManager, paymentId: string, refundId: string, amountMinor: bigint): Promise<'released' | 'held' | 'none'> {
    assertInTransaction(tx, 'refund');
    if (amountMinor <= 0n) throw new Error('a refund is a positive amount');
    // the reservation's row lock serialises the refunds of one payment, so their sum is the truth
    const [held]: { amount_minor: string }[] = await tx.query(`SELECT amount_minor::text AS amount_minor FROM limit_reservation WHERE payment_id = $1 FOR UPDATE`, [paymentId]);
    if (!held) return 'none';
    await tx.query(`INSERT INTO limit_refund (refund_id, payment_id, amount_minor) VALUES ($1, $2, $3) ON CONFLICT (refund_id) DO NOTHING`, [refundId, paymentId, amountMinor.toString()]);
    const [sum]: { total: string }[] = await tx.query(`SELECT coalesce(sum(amount_minor), 0)::text AS total FROM limit_refund WHERE payment_id = $1`, [paymentId]);
    if (toBigInt(sum!.total) < toBigInt(held.amount_minor)) return 'held';
    return (await this.release(tx, paymentId)) ? 'released' : 'held';
  }

  /** The merchant's user's completed payments (committed reservations) in the last historyDays days: count and total. */
  async history(tx: EntityManager, merchantId: string, userId: string, historyDays: number): Promise<{ count: number; totalMinor: bigint }> {
    const [row]: { n: number; total: string }[] = await tx.query(
      `SELECT count(*)::int AS n, coalesce(sum(amount_minor), 0)::text AS total FROM limit_reservation
        WHERE merchant_id = $1 AND user_id = $2 AND status = 'COMMITTED' AND created_at > now() - make_interval(days => $3)`,
      [merchantId, userId, historyDays],
    );
    return { count: row?.n ?? 0, totalMinor: toBigInt(row?.total ?? '0') };
  }

  /** What the merchant's user has used of the Asia/Shanghai day and year `at` falls in. */
  async usage(tx: EntityManager, merchantId: string, userId: string, at: Date): Promise<LimitUsage> {
    const { day, year } = limitPeriodsAt(at);
    const rows: { period_kind: PeriodKind; used_minor: string }[] = await tx.query(
      `SELECT period_kind, used_minor::text AS used_minor FROM limit_usage
        WHERE scope = 'user' AND merchant_id = $1 AND subject_id = $2 AND ((period_kind = 'day' AND period_key = $3) OR (period_kind = 'year' AND period_key = $4))`,
      [merchantId, userId, day, String(year)],
    );
    const used = (kind: PeriodKind) => toBigInt(rows.find((row) => row.period_kind === kind)?.used_minor ?? '0');
    return { day, year, dailyUsedMinor: used('day'), yearlyUsedMinor: used('year') };
  }

  /** What a merchant or a card has used of the Asia/Shanghai day `at` falls in. */
  async capUsage(tx: EntityManager, scope: CapScope, id: string, at: Date): Promise<bigint> {
    return this.used(tx, { scope, merchantId: null, subjectId: id, kind: 'day', key: limitPeriodsAt(at).day });
  }

  /** The payment's reservation, if it has one. */
  async find(tx: EntityManager, paymentId: string): Promise<LimitReservation | undefined> {
    const rows: Row[] = await tx.query(`SELECT ${COLUMNS} FROM limit_reservation WHERE payment_id = $1`, [paymentId]);
    return rows[0] ? toReservation(rows[0]) : undefined;
  }

  /**
   * Adds amountMinor to the counter unless that takes it over limitMinor (undefined: no limit).
   * The first reservation of a period inserts the counter, checked against the limit the same way.
   */
  private async addWithinLimit(tx: EntityManager, c: Counter, amountMinor: bigint): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO limit_usage (scope, merchant_id, subject_id, period_kind, period_key, used_minor)
       SELECT $1, $2, $3, $4, $5, $6::bigint WHERE $7::bigint IS NULL OR $6::bigint <= $7::bigint
       ON CONFLICT ON CONSTRAINT limit_usage_key DO UPDATE
          SET used_minor = limit_usage.used_minor + EXCLUDED.used_minor, updated_at = now()
        WHERE $7::bigint IS NULL OR limit_usage.used_minor + EXCLUDED.used_minor <= $7::bigint
       RETURNING used_minor`,
      [c.scope, c.merchantId, c.subjectId, c.kind, c.key, amountMinor.toString(), c.limitMinor?.toString() ?? null],
    );
    return rows.length === 1;
  }

  private async used(tx: EntityManager, c: Pick<Counter, 'scope' | 'merchantId' | 'subjectId' | 'kind' | 'key'>): Promise<bigint> {
    const rows: { used_minor: string }[] = await tx.query(
      `SELECT used_minor::text AS used_minor FROM limit_usage
        WHERE scope = $1 AND merchant_id IS NOT DISTINCT FROM $2 AND subject_id = $3 AND period_kind = $4 AND period_key = $5`,
      [c.scope, c.merchantId, c.subjectId, c.kind, c.key],
    );
    return toBigInt(rows[0]?.used_minor ?? '0');
  }
}
