import { luhnValid } from '@paystream/shared/channel-protocols';
import { maskResidentId, validateResidentId, type ResidentIdErrorCode } from './resident-id';
import type { VerificationLevel } from './limits';

/** A name: 2-30 characters, Chinese characters or Latin letters, with an optional middle dot between parts (少数民族 / foreign names). */
export const IDENTITY_NAME_LENGTH_MIN = 2;
export const IDENTITY_NAME_LENGTH_MAX = 30;
/** Each of the four address parts: 1-100 characters after trimming. */
export const IDENTITY_ADDRESS_PART_LENGTH_MIN = 1;
export const IDENTITY_ADDRESS_PART_LENGTH_MAX = 100;
/** Bank card numbers the provider verifies: 16-19 digits. */
export const IDENTITY_CARD_LENGTH_MIN = 16;
export const IDENTITY_CARD_LENGTH_MAX = 19;
/** What a masked phone keeps in the clear at each end (138****1234). */
export const PHONE_MASK_KEEP_START = 3;
export const PHONE_MASK_KEEP_END = 4;
/** What may be kept of a card in the clear: its BIN (first 6) and last 4 digits. */
export const CARD_BIN_LENGTH = 6;
export const CARD_LAST4_LENGTH = 4;

// Han ideographs or Latin letters; a middle dot (U+00B7) only between parts, as in 买买提·艾力
const NAME_SHAPE = /^[\p{Script=Han}A-Za-z]+(?:·[\p{Script=Han}A-Za-z]+)*$/u;
/** Mainland mobile numbers: 11 digits, 1 then 3-9. */
const PHONE_SHAPE = /^1[3-9]\d{9}$/;

/** The card schemes the verification provider knows, by BIN prefix. */
export const CARD_SCHEMES = ['unionpay', 'visa', 'mastercard'] as const;
export type CardScheme = (typeof CARD_SCHEMES)[number];
const CARD_SCHEME_PREFIXES: readonly { scheme: CardScheme; prefix: RegExp }[] = [
  { scheme: 'unionpay', prefix: /^62/ },
  { scheme: 'visa', prefix: /^4/ },
  { scheme: 'mastercard', prefix: /^5[1-5]/ },
];

export interface IdentityAddress {
  province: string;
  city: string;
  district: string;
  street: string;
}

/** A user's real-name identity as submitted (clear values: only ever held in memory). */
export interface IdentityInput {
  userId: string;
  name: string;
  residentId: string;
  phone: string;
  bankCard: string;
  address: IdentityAddress;
}

export type IdentityErrorCode = 'IDENTITY_NAME_INVALID' | 'IDENTITY_ID_INVALID' | 'IDENTITY_PHONE_INVALID' | 'IDENTITY_CARD_INVALID' | 'IDENTITY_ADDRESS_INVALID';
export type FieldCheck = { ok: true } | { ok: false; code: IdentityErrorCode; detail: string };

const ok: FieldCheck = { ok: true };

/** The scheme of a card number by its BIN, if the provider knows it. */
export function cardSchemeOf(cardNumber: string): CardScheme | undefined {
  return CARD_SCHEME_PREFIXES.find((s) => s.prefix.test(cardNumber))?.scheme;
}

/** Names a real-name record may carry: 2-30 Chinese characters or letters, `·` between parts. */
export function checkName(name: string): FieldCheck {
  const length = [...name].length;
  if (length < IDENTITY_NAME_LENGTH_MIN || length > IDENTITY_NAME_LENGTH_MAX) {
    return { ok: false, code: 'IDENTITY_NAME_INVALID', detail: `name must be ${IDENTITY_NAME_LENGTH_MIN}-${IDENTITY_NAME_LENGTH_MAX} characters` };
  }
  if (!NAME_SHAPE.test(name)) return { ok: false, code: 'IDENTITY_NAME_INVALID', detail: 'name may hold Chinese characters or letters, with · between parts' };
  return ok;
}

const RESIDENT_ID_PROBLEMS: Record<ResidentIdErrorCode, string> = {
  ID_FORMAT: 'residentId must be 17 digits and a check character (0-9 or X)',
  ID_BIRTH_DATE: 'residentId holds an impossible birth date (not a calendar day, before 1900 or in the future)',
  ID_CHECK_DIGIT: 'residentId check character does not match (GB 11643-1999)',
};

/** A resident ID, saying which check failed (format, birth date, check character). */
export function checkResidentId(residentId: string, today: Date = new Date()): FieldCheck {
  const v = validateResidentId(residentId, today);
  return v.ok ? ok : { ok: false, code: 'IDENTITY_ID_INVALID', detail: `${v.code}: ${RESIDENT_ID_PROBLEMS[v.code]}` };
}

/** A mainland mobile number: 11 digits starting 13-19. */
export function checkPhone(phone: string): FieldCheck {
  return PHONE_SHAPE.test(phone) ? ok : { ok: false, code: 'IDENTITY_PHONE_INVALID', detail: 'phone must be a mainland mobile number: 11 digits starting 13-19' };
}

/** A bank card: 16-19 digits, Luhn-valid, of a scheme the provider knows (62 UnionPay, 4 Visa, 51-55 Mastercard). */
export function checkBankCard(cardNumber: string): FieldCheck {
  if (!/^\d+$/.test(cardNumber) || cardNumber.length < IDENTITY_CARD_LENGTH_MIN || cardNumber.length > IDENTITY_CARD_LENGTH_MAX) {
    return { ok: false, code: 'IDENTITY_CARD_INVALID', detail: `bankCard must be ${IDENTITY_CARD_LENGTH_MIN}-${IDENTITY_CARD_LENGTH_MAX} digits` };
  }
  if (!luhnValid(cardNumber)) return { ok: false, code: 'IDENTITY_CARD_INVALID', detail: 'bankCard fails the Luhn check' };
  if (!cardSchemeOf(cardNumber)) {
    return { ok: false, code: 'IDENTITY_CARD_INVALID', detail: `BIN ${cardNumber.slice(0, CARD_BIN_LENGTH)} is not a known scheme (62 UnionPay, 4 Visa, 51-55 Mastercard)` };
  }
  return ok;
}

/** An address: province, city, district and street, each 1-100 characters. */
export function checkAddress(address: IdentityAddress): FieldCheck {
  for (const part of ['province', 'city', 'district', 'street'] as const) {
    const length = [...address[part].trim()].length;
    if (length < IDENTITY_ADDRESS_PART_LENGTH_MIN || length > IDENTITY_ADDRESS_PART_LENGTH_MAX) {
      return { ok: false, code: 'IDENTITY_ADDRESS_INVALID', detail: `address.${part} must be ${IDENTITY_ADDRESS_PART_LENGTH_MIN}-${IDENTITY_ADDRESS_PART_LENGTH_MAX} characters` };
    }
  }
  return ok;
}

/** Every field of an identity, in the order a form shows them; the first failure wins. */
export function checkIdentity(input: Omit<IdentityInput, 'userId'>, today: Date = new Date()): FieldCheck {
  const checks = [
    () => checkName(input.name),
    () => checkResidentId(input.residentId, today),
    () => checkPhone(input.phone),
    () => checkBankCard(input.bankCard),
    () => checkAddress(input.address),
  ];
  for (const check of checks) {
    const r = check();
    if (!r.ok) return r;
  }
  return ok;
}

/** A phone as it may be shown: 138****1234. Anything not 11 characters is masked whole. */
export function maskPhone(phone: string): string {
  if (phone.length !== 11) return '*'.repeat(11);
  return `${phone.slice(0, PHONE_MASK_KEEP_START)}${'*'.repeat(11 - PHONE_MASK_KEEP_START - PHONE_MASK_KEEP_END)}${phone.slice(-PHONE_MASK_KEEP_END)}`;
}

/** A name as it may be shown: the last character kept (*明), or the first of a one-character name. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return '*';
  return `${'*'.repeat(chars.length - 1)}${chars[chars.length - 1]}`;
}

/** A card as it may be shown: BIN, then `*`, then the last four. */
export function maskCard(bin: string, last4: string): string {
  return `${bin}******${last4}`;
}

export { maskResidentId };

/** What the verification provider says about each of the four elements. */
export interface ElementResults {
  name: boolean;
  residentId: boolean;
  phone: boolean;
  bankCard: boolean;
}

/** The level four-element results earn: all four -> full; name and ID -> basic; anything less -> none. */
export function levelFromElements(r: ElementResults): VerificationLevel {
  if (!r.name || !r.residentId) return 'none';
  return r.phone && r.bankCard ? 'full' : 'basic';
}

/** What the provider is sent: the four elements of a real-name check, nothing else (no address, no user id). */
export interface VerificationRequest {
  name: string;
  residentId: string;
  phone: string;
  bankCard: string;
}

/** The provider's answer, or `unavailable` when it could not be asked (no answer, timeout, 5xx). */
export type VerificationOutcome = { kind: 'answered'; elements: ElementResults; providerRef: string } | { kind: 'unavailable'; reason: string };

/** The real-name verification provider (four-element check: name, ID, phone, card). */
export interface IdentityVerifier {
  verify(request: VerificationRequest): Promise<VerificationOutcome>;
}
