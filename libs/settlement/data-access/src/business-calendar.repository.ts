import { BusinessCalendar, CN_BUSINESS_CALENDAR } from '@paystream/settlement/domain';
import type { EntityManager } from '@paystream/shared/persistence';

/** An override in force, with who set it, why and when. */
export interface StoredCalendarOverride {
  date: string;
  businessDay: boolean;
  reason: string;
  by: string;
  at: string;
}

/** One change made through the calendar API (the audit trail, removals included). */
export interface CalendarOverrideChange {
  idempotencyKey: string;
  date: string;
  action: 'set' | 'remove';
  businessDay: boolean | null;
  reason: string;
  by: string;
  requestHash: string;
  at: string;
}

interface OverrideRow {
  day: string;
  business_day: boolean;
  note: string;
  set_by: string;
  set_at: Date;
}

interface ChangeRow {
  idempotency_key: string;
  day: string;
  action: 'set' | 'remove';
  business_day: boolean | null;
  reason: string;
  changed_by: string;
  request_hash: string;
  changed_at: Date;
}

const OVERRIDE_COLUMNS = `to_char(day, 'YYYY-MM-DD') AS day, business_day, note, set_by, set_at`;
const CHANGE_COLUMNS = `idempotency_key, to_char(day, 'YYYY-MM-DD') AS day, action, business_day, reason, changed_by, request_hash, changed_at`;

const toOverride = (r: OverrideRow): StoredCalendarOverride => ({ date: r.day, businessDay: r.business_day, reason: r.note, by: r.set_by, at: r.set_at.toISOString() });
const toChange = (r: ChangeRow): CalendarOverrideChange => ({
  idempotencyKey: r.idempotency_key,
  date: r.day,
  action: r.action,
  businessDay: r.business_day,
  reason: r.reason,
  by: r.changed_by,
  requestHash: r.request_hash,
  at: r.changed_at.toISOString(),
});

/** The shipped China calendar with the overrides stored in calendar_override laid over it. */
export class BusinessCalendarRepository {
  async load(tx: EntityManager): Promise<BusinessCalendar> {
    const rows: { day: string; business_day: boolean }[] = await tx.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, business_day FROM calendar_override ORDER BY day`);
    return new BusinessCalendar(CN_BUSINESS_CALENDAR, rows.map((r) => ({ date: r.day, businessDay: r.business_day })));
  }

  /** Makes a day a business day or a day off (the State Council notice for a year, a bank closure). */
  async override(tx: EntityManager, date: string, businessDay: boolean, note: string, by = 'system'): Promise<StoredCalendarOverride> {
    const rows: OverrideRow[] = await tx.query(
      `INSERT INTO calendar_override (day, business_day, note, set_by, set_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (day) DO UPDATE SET business_day = EXCLUDED.business_day, note = EXCLUDED.note, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at
       RETURNING ${OVERRIDE_COLUMNS}`,
      [date, businessDay, note, by],
    );
    return toOverride(rows[0]!);
  }

  /** Removes a day's override (the shipped data holds again); the override removed, if there was one. */
  async removeOverride(tx: EntityManager, date: string): Promise<StoredCalendarOverride | undefined> {
    const [rows]: [OverrideRow[], number] = await tx.query(`DELETE FROM calendar_override WHERE day = $1 RETURNING ${OVERRIDE_COLUMNS}`, [date]);
    return rows[0] && toOverride(rows[0]);
  }

  /** A day's override, if it has one. */
  async findOverride(tx: EntityManager, date: string): Promise<StoredCalendarOverride | undefined> {
    const rows: OverrideRow[] = await tx.query(`SELECT ${OVERRIDE_COLUMNS} FROM calendar_override WHERE day = $1`, [date]);
    return rows[0] && toOverride(rows[0]);
  }

  /** The overrides in force in a year, by date. */
  async overridesIn(tx: EntityManager, year: number): Promise<StoredCalendarOverride[]> {
    const rows: OverrideRow[] = await tx.query(`SELECT ${OVERRIDE_COLUMNS} FROM calendar_override WHERE day BETWEEN make_date($1, 1, 1) AND make_date($1, 12, 31) ORDER BY day`, [year]);
    return rows.map(toOverride);
  }

  /** Records a change with the operator's Idempotency-Key it came with (the key's answer is kept by the caller: answerOnce). */
  async recordChange(tx: EntityManager, c: Omit<CalendarOverrideChange, 'at'>): Promise<void> {
    await tx.query(
      `INSERT INTO calendar_override_change (idempotency_key, day, action, business_day, reason, changed_by, request_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [c.idempotencyKey, c.date, c.action, c.businessDay, c.reason, c.by, c.requestHash],
    );
  }

  /** The changes made to a year's days, oldest first. */
  async changesIn(tx: EntityManager, year: number): Promise<CalendarOverrideChange[]> {
    const rows: ChangeRow[] = await tx.query(
      `SELECT ${CHANGE_COLUMNS} FROM calendar_override_change WHERE day BETWEEN make_date($1, 1, 1) AND make_date($1, 12, 31) ORDER BY changed_at, day`,
      [year],
    );
    return rows.map(toChange);
  }
}
