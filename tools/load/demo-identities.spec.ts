import { demoIdentity, demoResidentId } from './demo-identities';

describe('demo identities', () => {
  it('issue resident ID numbers whose GB 11643 check digit holds', () => {
    const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    for (let i = 0; i < 2_000; i++) {
      const id = demoResidentId(i);
      expect(id).toMatch(/^\d{17}[\dX]$/);
      const sum = [...id.slice(0, 17)].reduce((acc, d, k) => acc + Number(d) * weights[k]!, 0);
      expect(id[17]).toBe('10X98765432'[sum % 11]);
    }
    expect(demoResidentId(0)).toBe('11010119800101000' + demoResidentId(0)[17]);
  });

  it('give every shopper a mobile number the sandbox verifies and a Chinese name', () => {
    for (let i = 0; i < 2_000; i++) {
      const identity = demoIdentity(`shopper-${i}`, i);
      expect(identity.phone).toMatch(/^1[3-9]\d{9}$/);
      expect(identity.phone.endsWith('0000')).toBe(false);
      expect(identity.name).toMatch(/^王[\u4e00-\u9fa5]{3,}$/);
    }
  });
});
