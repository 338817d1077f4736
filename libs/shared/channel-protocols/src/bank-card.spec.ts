import { luhnValid, tokenizeCard } from './bank-card';

describe('bank cards', () => {
  it.each([
    ['4111111111111111', true],
    ['6212345678901232', true],
    ['6212345678901234', false],
    ['4111 1111 1111 1111', false],
    ['41111111111', false],
    ['abcd', false],
  ])('Luhn of %s is %s', (pan, ok) => {
    expect(luhnValid(pan)).toBe(ok);
  });

  it('keeps a token, the BIN and the last four only', () => {
    const key = 'k'.repeat(32);
    const card = tokenizeCard('6212 3456 7890 1232', key);
    expect(card).toEqual({ token: expect.stringMatching(/^tok_[0-9a-f]{32}$/), bin: '621234', last4: '1232' });
    expect(JSON.stringify(card)).not.toContain('6212345678901232');
    expect(tokenizeCard('6212345678901232', key).token).toBe(card.token);
    expect(tokenizeCard('6212345678901232', 'z'.repeat(32)).token).not.toBe(card.token);
  });

  it('refuses an invalid number or a weak token key', () => {
    expect(() => tokenizeCard('6212345678901234', 'k'.repeat(32))).toThrow(RangeError);
    expect(() => tokenizeCard('4111111111111111', 'short')).toThrow(RangeError);
  });
});
