import { beijingCompactTime, beijingDateTime, parseBeijingDateTime } from './channel-time';

describe('Beijing time as the channels write it', () => {
  it('writes and reads back an instant (UTC+8)', () => {
    const at = new Date('2026-11-25T16:30:05.000Z');
    expect(beijingDateTime(at)).toBe('2026-11-26 00:30:05');
    expect(beijingCompactTime(at)).toBe('20261126003005');
    expect(parseBeijingDateTime('2026-11-26 00:30:05')).toEqual(at);
  });

  it.each(['2026-02-30 10:00:00', '2025-02-29 00:00:00', '2026-11-26 24:00:00', '2026-11-26T00:30:05', ''])('refuses %j', (text) => {
    expect(parseBeijingDateTime(text)).toBeUndefined();
  });
});
