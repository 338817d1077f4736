/**
 * The demo's shoppers as real-name identities: valid resident ID numbers (GB 11643 check digit),
 * mainland mobile numbers and the sandbox test card, so risk verifies them (level full) and applies
 * its limits as it would to real shoppers. Nothing here is a real person.
 */

/** GB 11643-1999 weights for the first 17 digits, and the check character for sum mod 11. */
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const ID_CHECK_CHARS = '10X98765432';
/** Dongcheng District, Beijing: a real region code the sandbox IDs are issued under. */
const DEMO_REGION_CODE = '110101';
const DEMO_BIRTH_DATE_FIRST_MS = Date.UTC(1980, 0, 1);
const DAY_MS = 86_400_000;
const NAME_CHARS = '伟芳娜敏静丽强磊军洋';
const DEMO_CARD_NUMBER = '6225880137453008';

/** A valid resident ID number for the i-th demo shopper (birth dates spread from 1980). */
export function demoResidentId(i: number): string {
  const birth = new Date(DEMO_BIRTH_DATE_FIRST_MS + (i % 9_000) * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `${DEMO_REGION_CODE}${birth}${String(i % 1000).padStart(3, '0')}`;
  const sum = [...first17].reduce((acc, d, k) => acc + Number(d) * ID_WEIGHTS[k]!, 0);
  return `${first17}${ID_CHECK_CHARS[sum % 11]}`;
}

/** The identity the demo registers for shopper i. */
export function demoIdentity(userId: string, i: number) {
  const digits = String(i).padStart(3, '0');
  return {
    userId,
    name: `王${[...digits].map((d) => NAME_CHARS[Number(d)]).join('')}`,
    residentId: demoResidentId(i),
    // never ending in 0000: the sandbox provider reads that as a phone / card mismatch
    phone: `138${String(10_000_000 + i * 7 + 1).slice(-8)}`,
    bankCard: DEMO_CARD_NUMBER,
    address: { province: '北京市', city: '北京市', district: '东城区', street: `东长安街${i + 1}号` },
  };
}
