import { Money } from '@paystream/shared/money';
import { BusinessCalendar } from './business-calendar';
import { dueOn, reserveFor, reserveReleaseOn, SETTLEMENT_TERMS_DEFAULT, tradeDate, validateSettlementTerms, type SettlementTerms } from './settlement-terms';

const cal = new BusinessCalendar();
const t1: SettlementTerms = { ...SETTLEMENT_TERMS_DEFAULT, schedule: 't_plus_n', nDays: 1, cutoffTime: '22:00' };
/** An instant at a China wall-clock time. */
const cst = (local: string) => new Date(`${local}+08:00`);

describe('settlement terms: cut-off, T+N due dates and the reserve', () => {
  it.each([
    ['2026-02-12T10:00:00', '2026-02-12', '2026-02-13'],
    ['2026-02-12T21:59:59', '2026-02-12', '2026-02-13'],
    ['2026-02-12T22:00:00', '2026-02-13', '2026-02-14'], // at the cut-off: next business day, due on the make-up Saturday
    ['2026-02-13T23:30:00', '2026-02-14', '2026-02-24'], // after the cut-off on Friday: the make-up Saturday, due after the holiday
    ['2026-02-17T09:00:00', '2026-02-24', '2026-02-25'], // paid during the holiday
    ['2026-09-30T12:00:00', '2026-09-30', '2026-10-08'],
    ['2026-09-30T22:30:00', '2026-10-08', '2026-10-09'],
    ['2026-10-09T23:00:00', '2026-10-10', '2026-10-12'],
  ])('a T+1 payment at %s (China) trades on %s and is due %s', (at, trade, due) => {
    expect(tradeDate(cst(at), t1, cal)).toBe(trade);
    expect(dueOn(cst(at), t1, cal)).toBe(due);
  });

  it('makes real-time payments due on their own date, whatever the calendar', () => {
    expect(dueOn(cst('2026-02-17T09:00:00'), SETTLEMENT_TERMS_DEFAULT, cal)).toBe('2026-02-17');
  });

  it('holds a reserve half up on the net and releases it after the hold', () => {
    expect(reserveFor(Money.of(10_005n, 'CNY'), 1_000n).minor).toBe(1_001n); // 1000.5 -> 1001
    expect(reserveFor(Money.of(10_004n, 'CNY'), 1_000n).minor).toBe(1_000n);
    expect(reserveFor(Money.of(-5n, 'CNY'), 1_000n).minor).toBe(0n);
    expect(reserveReleaseOn(cst('2026-02-13T23:30:00'), 30)).toBe('2026-03-15');
  });

  it.each([
    [{ nDays: 31 }, 'nDays'],
    [{ cutoffTime: '24:00' }, 'cutoffTime'],
    [{ payoutMinMinor: -1n }, 'payoutMinMinor'],
    [{ reserveBps: 10_001n }, 'reserveBps'],
    [{ reserveBps: 500n, reserveHoldDays: 0 }, 'reserveHoldDays'],
    [{ feePlan: { ...SETTLEMENT_TERMS_DEFAULT.feePlan, rateBps: -1n } }, 'feePlan.rateBps'],
  ])('refuses %o with a stable code', (patch, field) => {
    expect(validateSettlementTerms({ ...SETTLEMENT_TERMS_DEFAULT, ...patch } as SettlementTerms)).toMatchObject({ code: 'SETTLEMENT_TERMS_INVALID', field });
  });

  it('accepts the defaults', () => {
    expect(validateSettlementTerms(SETTLEMENT_TERMS_DEFAULT)).toBeUndefined();
    expect(validateSettlementTerms(t1)).toBeUndefined();
  });
});
