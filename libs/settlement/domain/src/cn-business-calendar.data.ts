/**
 * Mainland China's public holidays and make-up working days (调休上班), as the State Council's General
 * Office announces them each November for the next year.
 *
 * - 2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12)
 * - 2026: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04, Xinhua)
 * - 2027: PROVISIONAL: the notice was not at hand, so only the statutory days of the Measures on
 *   National Holidays (revised 2024-11) are listed (New Year's Day, Spring Festival Eve and the first
 *   three days, Qingming, May 1-2, Dragon Boat, Mid-Autumn, October 1-3), without the make-up days the
 *   notice will add. Override them (calendar_override table) once it is published.
 */
export interface CalendarYear {
  /** Days off that would otherwise be working days (weekdays inside a holiday); yyyy-MM-dd. */
  holidays: readonly string[];
  /** Weekend days worked to make up for a holiday; yyyy-MM-dd. */
  makeUpWorkdays: readonly string[];
  source: string;
}

function range(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export const CN_BUSINESS_CALENDAR: Record<number, CalendarYear> = {
  2025: {
    holidays: [
      '2025-01-01',
      ...range('2025-01-28', '2025-02-04'),
      ...range('2025-04-04', '2025-04-06'),
      ...range('2025-05-01', '2025-05-05'),
      ...range('2025-05-31', '2025-06-02'),
      ...range('2025-10-01', '2025-10-08'),
    ],
    makeUpWorkdays: ['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11'],
    source: '国办发明电〔2024〕12号 (2024-11-12)',
  },
  2026: {
    holidays: [
      ...range('2026-01-01', '2026-01-03'),
      ...range('2026-02-15', '2026-02-23'),
      ...range('2026-04-04', '2026-04-06'),
      ...range('2026-05-01', '2026-05-05'),
      ...range('2026-06-19', '2026-06-21'),
      ...range('2026-09-25', '2026-09-27'),
      ...range('2026-10-01', '2026-10-07'),
    ],
    makeUpWorkdays: ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'],
    source: '国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)',
  },
  2027: {
    holidays: [
      '2027-01-01',
      ...range('2027-02-05', '2027-02-09'),
      '2027-04-05',
      ...range('2027-05-01', '2027-05-02'),
      '2027-06-09',
      '2027-09-15',
      ...range('2027-10-01', '2027-10-03'),
    ],
    makeUpWorkdays: [],
    source: 'provisional: statutory days only (全国年节及纪念日放假办法, revised 2024-11)',
  },
};
