import fc from 'fast-check';
import { maskResidentId, residentIdCheckChar, validateResidentId } from './resident-id';

/** 2025-11-25 00:30 in Beijing, still the 24th in UTC. */
const TODAY = new Date('2025-11-24T16:30:00Z');
const withCheck = (first17: string) => `${first17}${residentIdCheckChar(first17)}`;
const validate = (id: string) => validateResidentId(id, TODAY);

describe('resident ID check character', () => {
  it.each([
    // the standard's own example, and IDs whose check character was worked out by hand
    ['11010519491231002', 'X'],
    ['44052418800101001', '4'],
    ['32010619900307123', '4'],
    ['00000000000000000', '1'],
  ])('%s -> %s', (first17, check) => {
    expect(residentIdCheckChar(first17)).toBe(check);
  });

  it('needs exactly 17 digits', () => {
    expect(() => residentIdCheckChar('1234')).toThrow('17 digits');
    expect(() => residentIdCheckChar('1101051949123100X')).toThrow('17 digits');
  });
});

describe('resident ID validation', () => {
  it.each([
    { id: '11010519491231002X', birthDate: '1949-12-31', sex: 'female', regionCode: '110105' },
    { id: '11010519491231002x', birthDate: '1949-12-31', sex: 'female', regionCode: '110105' },
    { id: '320106199003071234', birthDate: '1990-03-07', sex: 'male', regionCode: '320106' },
    { id: withCheck('44030420000229001'), birthDate: '2000-02-29', sex: 'male', regionCode: '440304' },
    { id: withCheck('51010719000101008'), birthDate: '1900-01-01', sex: 'female', regionCode: '510107' },
    // born today in Beijing, though it is still yesterday in UTC
    { id: withCheck('31011520251125009'), birthDate: '2025-11-25', sex: 'male', regionCode: '310115' },
  ] as const)('$id is valid: $birthDate $sex', ({ id, ...expected }) => {
    expect(validate(id)).toEqual({ ok: true, ...expected });
  });

  it.each([
    ['a wrong check digit', '110105194912310021', 'ID_CHECK_DIGIT'],
    ['X where a digit belongs', '32010619900307123X', 'ID_CHECK_DIGIT'],
    ['a digit where X belongs', '320106199003071X36', 'ID_FORMAT'],
    ['Feb 30', withCheck('11010520240230001'), 'ID_BIRTH_DATE'],
    ['Feb 29 of a non-leap year', withCheck('11010520230229001'), 'ID_BIRTH_DATE'],
    ['Feb 29 of 1900 (not a leap year)', withCheck('11010519000229001'), 'ID_BIRTH_DATE'],
    ['April 31', withCheck('11010519900431001'), 'ID_BIRTH_DATE'],
    ['month 13', withCheck('11010519901301001'), 'ID_BIRTH_DATE'],
    ['month 00', withCheck('11010519900001001'), 'ID_BIRTH_DATE'],
    ['day 00', withCheck('11010519900100001'), 'ID_BIRTH_DATE'],
    ['before 1900', '440524188001010014', 'ID_BIRTH_DATE'],
    ['tomorrow in Beijing', withCheck('31011520251126009'), 'ID_BIRTH_DATE'],
    ['a future year', withCheck('31011520990101009'), 'ID_BIRTH_DATE'],
    ['17 characters', '11010519491231002', 'ID_FORMAT'],
    ['19 characters', '11010519491231002X1', 'ID_FORMAT'],
    ['the old 15-digit form', '110105491231002', 'ID_FORMAT'],
    ['empty', '', 'ID_FORMAT'],
    ['a letter among the digits', '1101051949A231002X', 'ID_FORMAT'],
    ['a check letter other than X', '11010519491231002Y', 'ID_FORMAT'],
    ['surrounding spaces', ' 11010519491231002X', 'ID_FORMAT'],
    ['full-width digits', '１１０１０５１９４９１２３１００２X', 'ID_FORMAT'],
    ['a sign', '-11010519491231002', 'ID_FORMAT'],
  ])('rejects %s', (_what, id, code) => {
    expect(validate(id)).toEqual({ ok: false, code });
  });

  it('judges "the future" by the Beijing day of now by default', () => {
    const inAYear = new Date(Date.now() + 366 * 86_400_000);
    const y = inAYear.getUTCFullYear();
    expect(validateResidentId(withCheck(`110105${y}0101001`))).toEqual({ ok: false, code: 'ID_BIRTH_DATE' });
  });

  const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
  const birthDates = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2025-11-25T00:00:00Z'), noInvalidDate: true });
  const validIds = fc.tuple(digits(6), birthDates, digits(3)).map(([region, birth, sequence]) => {
    const yyyyMMdd = birth.toISOString().slice(0, 10).replace(/-/g, '');
    return withCheck(`${region}${yyyyMMdd}${sequence}`);
  });

  it('accepts any real birth date with any region and sequence once the check character is computed', () => {
    fc.assert(
      fc.property(validIds, (id) => {
        const v = validate(id);
        expect(v).toEqual({
          ok: true,
          birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
          sex: Number(id[16]) % 2 === 1 ? 'male' : 'female',
          regionCode: id.slice(0, 6),
        });
      }),
    );
  });

  it('rejects any ID with one character changed', () => {
    // every weight is non-zero mod 11 and 11 is prime, so any single change moves the checksum
    fc.assert(
      fc.property(validIds, fc.integer({ min: 0, max: 17 }), fc.integer({ min: 1, max: 10 }), (id, position, shift) => {
        const alphabet = position === 17 ? '0123456789X' : '0123456789';
        const shifts = position === 17 ? shift : 1 + (shift % 9);
        const replaced = alphabet[(alphabet.indexOf(id[position]!) + shifts) % alphabet.length]!;
        const changed = `${id.slice(0, position)}${replaced}${id.slice(position + 1)}`;
        expect(changed).not.toBe(id);
        expect(validate(changed).ok).toBe(false);
      }),
    );
  });
});

describe('resident ID masking', () => {
  it.each([
    ['11010519491231002X', '110***********002X'],
    ['320106199003071234', '320***********1234'],
  ])('%s -> %s', (id, masked) => {
    expect(maskResidentId(id)).toBe(masked);
    expect(maskResidentId(id)).toHaveLength(18);
  });

  it.each(['', '1234567', '110105491231002', '11010519491231002X1'])('masks a malformed ID whole: %j', (id) => {
    expect(maskResidentId(id)).toBe('*'.repeat(18));
  });

  it('never shows the birth date', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 18, maxLength: 18 }), (id) => {
        expect(maskResidentId(id).slice(3, 14)).toBe('*'.repeat(11));
      }),
    );
  });
});
