import { shanghaiCalendarDay } from './limits';

/** Characters in a mainland resident ID (GB 11643-1999): 17 digits and a check character. */
export const RESIDENT_ID_LENGTH = 18;
/** The earliest birth date accepted: the standard's century digits start at 19. */
export const RESIDENT_ID_BIRTH_DATE_MIN = '1900-01-01';
/** What a masked ID keeps in the clear at each end (the rest is `*`). */
export const RESIDENT_ID_MASK_KEEP_START = 3;
export const RESIDENT_ID_MASK_KEEP_END = 4;

/** ISO 7064 MOD 11-2 weights of the first 17 digits. */
const CHECK_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
/** The check character for each remainder of the weighted sum mod 11. */
const CHECK_CHARS = '10X98765432';
const RESIDENT_ID_SHAPE = /^[0-9]{17}[0-9Xx]$/;
const REGION_CODE_LENGTH = 6;
const BIRTH_DATE_START = 6;
const BIRTH_DATE_END = 14;
const SEX_DIGIT_INDEX = 16;

export type ResidentIdErrorCode = 'ID_FORMAT' | 'ID_BIRTH_DATE' | 'ID_CHECK_DIGIT';
export type ResidentIdValidation =
  | { ok: true; birthDate: string; sex: 'male' | 'female'; regionCode: string }
  | { ok: false; code: ResidentIdErrorCode };

/** The check character (`0`-`9` or `X`) of the first 17 digits of a resident ID. */
export function residentIdCheckChar(first17Digits: string): string {
  if (!/^[0-9]{17}$/.test(first17Digits)) throw new Error('a resident ID check character needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < CHECK_WEIGHTS.length; i++) sum += Number(first17Digits[i]) * CHECK_WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/** `yyyy-MM-dd` when `yyyyMMdd` names a day of the Gregorian calendar, otherwise undefined. */
function calendarDate(yyyyMMdd: string): string | undefined {
  const year = Number(yyyyMMdd.slice(0, 4));
  const month = Number(yyyyMMdd.slice(4, 6));
  const day = Number(yyyyMMdd.slice(6, 8));
  // Date.UTC rolls Feb 30 over to Mar 2; a real date survives the round trip unchanged
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return `${yyyyMMdd.slice(0, 4)}-${yyyyMMdd.slice(4, 6)}-${yyyyMMdd.slice(6, 8)}`;
}

/**
 * Validates an 18-character resident ID: shape, birth date (a real day, from 1900-01-01 up to today
 * in Beijing), then the check character. `today` is for tests; it defaults to now.
 */
export function validateResidentId(id: string, today: Date = new Date()): ResidentIdValidation {
  if (id.length !== RESIDENT_ID_LENGTH || !RESIDENT_ID_SHAPE.test(id)) return { ok: false, code: 'ID_FORMAT' };
  const birthDate = calendarDate(id.slice(BIRTH_DATE_START, BIRTH_DATE_END));
  // yyyy-MM-dd strings order like the days they name
  if (!birthDate || birthDate < RESIDENT_ID_BIRTH_DATE_MIN || birthDate > shanghaiCalendarDay(today)) return { ok: false, code: 'ID_BIRTH_DATE' };
  if (residentIdCheckChar(id.slice(0, 17)) !== id[17]!.toUpperCase()) return { ok: false, code: 'ID_CHECK_DIGIT' };
  return {
    ok: true,
    birthDate,
    sex: Number(id[SEX_DIGIT_INDEX]) % 2 === 1 ? 'male' : 'female',
    regionCode: id.slice(0, REGION_CODE_LENGTH),
  };
}

/**
 * The ID as it may appear in logs: the first 3 and last 4 characters, 11 `*` between. Anything
 * that is not 18 characters long is masked whole, so a malformed ID leaks nothing either.
 */
export function maskResidentId(id: string): string {
  const hidden = RESIDENT_ID_LENGTH - RESIDENT_ID_MASK_KEEP_START - RESIDENT_ID_MASK_KEEP_END;
  if (id.length !== RESIDENT_ID_LENGTH) return '*'.repeat(RESIDENT_ID_LENGTH);
  return `${id.slice(0, RESIDENT_ID_MASK_KEEP_START)}${'*'.repeat(hidden)}${id.slice(RESIDENT_ID_LENGTH - RESIDENT_ID_MASK_KEEP_END)}`;
}
