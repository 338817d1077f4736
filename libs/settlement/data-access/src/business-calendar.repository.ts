import { BusinessCalendar, CN_BUSINESS_CALENDAR } from '@paystream/settlement/domain';
import type { EntityManager } from '@paystream/shared/persistence';

/** The shipped China calendar with the overrides stored in calendar_override laid over it. */
export class BusinessCalendarRepository {
  async load(tx: EntityManager): Promise<BusinessCalendar> {
    const rows: { day: string; business_day: boolean }[] = await tx.query(`SELECT to_char(day, 'YYYY-MM-DD') AS day, business_day FROM calendar_override ORDER BY day`);
    return new BusinessCalendar(CN_BUSINESS_CALENDAR, rows.map((r) => ({ date: r.day, businessDay: r.business_day })));
  }

  /** Makes a day a business day or a day off (the State Council notice for a year, a bank closure). */
  async override(tx: EntityManager, date: string, businessDay: boolean, note: string): Promise<void> {
    await tx.query(
      `INSERT INTO calendar_override (day, business_day, note) VALUES ($1, $2, $3) ON CONFLICT (day) DO UPDATE SET business_day = EXCLUDED.business_day, note = EXCLUDED.note`,
      [date, businessDay, note],
    );
  }
}
