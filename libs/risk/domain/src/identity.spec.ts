import {
  cardSchemeOf,
  checkAddress,
  checkBankCard,
  checkIdentity,
  checkName,
  checkPhone,
  checkResidentId,
  levelFromElements,
  maskCard,
  maskName,
  maskPhone,
  type IdentityAddress,
} from './identity';
import { residentIdCheckChar } from './resident-id';

const TODAY = new Date('2025-11-24T16:30:00Z');
const withCheck = (first17: string) => `${first17}${residentIdCheckChar(first17)}`;
const ADDRESS: IdentityAddress = { province: '北京市', city: '北京市', district: '东城区', street: '东长安街1号' };
const VALID = { name: '张三', residentId: '11010519491231002X', phone: '13812341234', bankCard: '6225880137453008', address: ADDRESS };

describe('name', () => {
  it.each(['张三', '欧阳娜娜', '买买提·艾力', 'Li', 'JohnSmith', '阿卜杜·热合曼·买买提', '张'.repeat(30)])('%s is valid', (name) => {
    expect(checkName(name)).toEqual({ ok: true });
  });

  it.each([
    ['one character', '张'],
    ['31 characters', '张'.repeat(31)],
    ['empty', ''],
    ['a digit', '张3'],
    ['a leading dot', '·张三'],
    ['a trailing dot', '张三·'],
    ['two dots in a row', '买买提··艾力'],
    ['a space', 'John Smith'],
    ['punctuation', '张三!'],
    ['an emoji', '张三😀'],
  ])('%s is refused', (_why, name) => {
    expect(checkName(name)).toMatchObject({ ok: false, code: 'IDENTITY_NAME_INVALID' });
  });
});

describe('resident ID', () => {
  it('accepts a valid one', () => {
    expect(checkResidentId('11010519491231002X', TODAY)).toEqual({ ok: true });
  });

  it.each([
    ['a bad check digit', '110105194912310021', 'ID_CHECK_DIGIT'],
    ['an impossible date (Feb 30)', withCheck('11010519900230001'), 'ID_BIRTH_DATE'],
    ['a date in the future', withCheck('11010520300101001'), 'ID_BIRTH_DATE'],
    ['17 characters', '11010519491231002', 'ID_FORMAT'],
    ['letters', '11010519491231ABCX', 'ID_FORMAT'],
  ])('%s is refused, saying which check failed', (_why, id, check) => {
    const r = checkResidentId(id, TODAY);
    expect(r).toMatchObject({ ok: false, code: 'IDENTITY_ID_INVALID' });
    expect(r.ok ? '' : r.detail).toContain(check);
  });
});

describe('phone', () => {
  it.each(['13812341234', '15900000001', '19912345678', '17000000000'])('%s is valid', (phone) => {
    expect(checkPhone(phone)).toEqual({ ok: true });
  });

  it.each([
    ['10 digits', '1381234123'],
    ['12 digits', '138123412345'],
    ['a second digit of 2', '12812341234'],
    ['a landline', '01012345678'],
    ['a country code', '+8613812341234'],
    ['a dash', '138-1234-1234'],
  ])('%s is refused', (_why, phone) => {
    expect(checkPhone(phone)).toMatchObject({ ok: false, code: 'IDENTITY_PHONE_INVALID' });
  });
});

describe('bank card', () => {
  it.each([
    ['UnionPay', '6225880137453008', 'unionpay'],
    ['UnionPay, 19 digits', '6212345678901234569', 'unionpay'],
    ['Visa', '4111111111111111', 'visa'],
    ['Mastercard', '5555555555554444', 'mastercard'],
  ] as const)('%s is valid', (_why, card, scheme) => {
    expect(checkBankCard(card)).toEqual({ ok: true });
    expect(cardSchemeOf(card)).toBe(scheme);
  });

  it.each([
    ['a bad Luhn digit', '6225880137453009', 'Luhn'],
    ['an unknown BIN (JCB)', '3530111333300000', 'BIN 353011'],
    ['an unknown BIN (Mastercard 2-series)', '2223003122003222', 'BIN 222300'],
    ['15 digits (Amex length)', '378282246310005', '16-19 digits'],
    ['20 digits', '62258801374530080000', '16-19 digits'],
    ['letters', '6225abcd37453008', '16-19 digits'],
  ])('%s is refused', (_why, card, detail) => {
    const r = checkBankCard(card);
    expect(r).toMatchObject({ ok: false, code: 'IDENTITY_CARD_INVALID' });
    expect(r.ok ? '' : r.detail).toContain(detail);
  });
});

describe('address', () => {
  it('accepts four parts of 1-100 characters', () => {
    expect(checkAddress(ADDRESS)).toEqual({ ok: true });
    expect(checkAddress({ ...ADDRESS, street: '路'.repeat(100) })).toEqual({ ok: true });
  });

  it.each([
    ['an empty province', { ...ADDRESS, province: '' }, 'province'],
    ['a blank city', { ...ADDRESS, city: '   ' }, 'city'],
    ['an empty district', { ...ADDRESS, district: '' }, 'district'],
    ['a street of 101 characters', { ...ADDRESS, street: '路'.repeat(101) }, 'street'],
  ])('%s is refused', (_why, address, part) => {
    const r = checkAddress(address);
    expect(r).toMatchObject({ ok: false, code: 'IDENTITY_ADDRESS_INVALID' });
    expect(r.ok ? '' : r.detail).toContain(`address.${part}`);
  });
});

describe('a whole identity', () => {
  it('is valid when every field is', () => {
    expect(checkIdentity(VALID, TODAY)).toEqual({ ok: true });
  });

  it.each([
    [{ name: 'x' }, 'IDENTITY_NAME_INVALID'],
    [{ residentId: '110105194912310021' }, 'IDENTITY_ID_INVALID'],
    [{ phone: '12345' }, 'IDENTITY_PHONE_INVALID'],
    [{ bankCard: '6225880137453009' }, 'IDENTITY_CARD_INVALID'],
    [{ address: { ...ADDRESS, street: '' } }, 'IDENTITY_ADDRESS_INVALID'],
  ])('answers %j with %s', (change, code) => {
    expect(checkIdentity({ ...VALID, ...change }, TODAY)).toMatchObject({ ok: false, code });
  });
});

describe('masks', () => {
  it('keep only what may be shown', () => {
    expect(maskPhone('13812341234')).toBe('138****1234');
    expect(maskPhone('123')).toBe('***********');
    expect(maskName('张三')).toBe('*三');
    expect(maskName('买买提·艾力')).toBe('*****力');
    expect(maskName('张')).toBe('*');
    expect(maskCard('622588', '3008')).toBe('622588******3008');
  });
});

describe('level from the four elements', () => {
  const all = { name: true, residentId: true, phone: true, bankCard: true };
  it.each([
    [all, 'full'],
    [{ ...all, phone: false }, 'basic'],
    [{ ...all, bankCard: false }, 'basic'],
    [{ ...all, phone: false, bankCard: false }, 'basic'],
    [{ ...all, name: false }, 'none'],
    [{ ...all, residentId: false }, 'none'],
    [{ name: false, residentId: false, phone: false, bankCard: false }, 'none'],
  ] as const)('%j -> %s', (elements, level) => {
    expect(levelFromElements(elements)).toBe(level);
  });
});
