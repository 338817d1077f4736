import { formatBeijingTime, isOnBeijingDay, parseBeijingTime } from './beijing-time';
import { BillFormatError } from './yuan';

describe('Beijing time', () => {
  it('prints and parses yyyy-MM-dd HH:mm:ss at UTC+8', () => {
    const at = new Date('2024-03-04T16:30:05Z');
    expect(formatBeijingTime(at)).toBe('2024-03-05 00:30:05');
    expect(parseBeijingTime('2024-03-05 00:30:05')).toEqual(at);
    expect(isOnBeijingDay(at, '2024-03-05')).toBe(true);
    expect(isOnBeijingDay(new Date('2024-03-04T15:59:59Z'), '2024-03-05')).toBe(false);
    expect(isOnBeijingDay(new Date('2024-03-05T16:00:00Z'), '2024-03-05')).toBe(false);
  });

  it('refuses impossible or malformed times', () => {
    for (const bad of ['2024-02-30 00:00:00', '2024-03-05 24:00:00', '2024-03-05T00:00:00', '2024-3-5 00:00:00']) {
      expect(() => parseBeijingTime(bad)).toThrow(BillFormatError);
    }
  });
});
