import { luhnValid } from '@paystream/shared/channel-protocols';
import { amountFor, CHANNEL_MIX_PER_MILLE, channelOf, DEFAULT_MIX_PER_MILLE, scenarioOf, shopperCardNumber, shopperSignals, testerCardNumber, type Scenario } from './order-mix';

describe('demo order mix', () => {
  it('spreads scenarios in the configured shares', () => {
    const counts = Object.fromEntries(Object.keys(DEFAULT_MIX_PER_MILLE).map((k) => [k, 0])) as Record<Scenario, number>;
    for (let i = 0; i < 10_000; i++) counts[scenarioOf(i)]++;
    for (const [s, perMille] of Object.entries(DEFAULT_MIX_PER_MILLE)) {
      expect(Math.abs(counts[s as Scenario] - perMille * 10)).toBeLessThan(perMille * 10 * 0.25 + 20);
    }
  });

  it.each([
    ['declined', 51n],
    ['channel-5xx', 53n],
    ['answer-times-out', 52n],
    ['notify-twice', 54n],
    ['no-notification', 55n],
    ['late-success', 56n],
  ] as const)('gives %s amounts ending in %s', (scenario, suffix) => {
    for (let i = 0; i < 500; i++) expect(amountFor(scenario, i) % 100n).toBe(suffix);
  });

  it('never lets an ordinary order hit a sandbox trigger or the risk limit', () => {
    for (let i = 0; i < 5_000; i++) {
      const a = amountFor('ok', i);
      expect(a % 100n < 50n).toBe(true);
      expect(a > 0n && a <= 5_000_000n).toBe(true);
    }
  });

  it('puts risk rejections over the single-payment limit', () => {
    for (let i = 0; i < 500; i++) expect(amountFor('risk-reject', i) > 5_000_000n).toBe(true);
  });

  it('spreads shoppers over the three channels in the configured shares', () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) counts[channelOf(i)] = (counts[channelOf(i)] ?? 0) + 1;
    for (const [c, perMille] of Object.entries(CHANNEL_MIX_PER_MILLE)) expect(Math.abs((counts[c] ?? 0) - perMille * 10)).toBeLessThan(perMille * 10 * 0.2);
  });

  it('gives a card tester small amounts (at most CNY 5.00, risk\'s small-amount threshold), never a sandbox trigger', () => {
    for (let i = 0; i < 500; i++) {
      const a = amountFor('card-testing', i);
      expect(a >= 100n && a <= 500n && a % 100n < 50n).toBe(true);
    }
  });

  it('keeps the risk interventions a small share of the mix (P_risk a few per cent)', () => {
    const perMille = DEFAULT_MIX_PER_MILLE['risk-reject'] + DEFAULT_MIX_PER_MILLE['card-testing'] + DEFAULT_MIX_PER_MILLE['device-farm'];
    expect(perMille).toBeLessThanOrEqual(50);
    expect(Object.values(DEFAULT_MIX_PER_MILLE).reduce((a, b) => a + b, 0)).toBe(1000);
  });

  it('gives every shopper a card of their own and each run a tester card, all Luhn-valid UnionPay numbers', () => {
    const numbers = new Set<string>();
    for (let i = 0; i < 997; i++) {
      const n = shopperCardNumber(i);
      expect(n).toMatch(/^62\d{14}$/);
      expect(luhnValid(n)).toBe(true);
      numbers.add(n);
    }
    expect(numbers.size).toBe(997);
    expect(luhnValid(testerCardNumber('run-a'))).toBe(true);
    expect(testerCardNumber('run-a')).not.toBe(testerCardNumber('run-b'));
  });

  it('sends device and IP for four shoppers in five, one device for a whole device farm', () => {
    expect(shopperSignals('ok', 5, 'r')).toEqual({});
    expect(shopperSignals('ok', 6, 'r')).toEqual({ deviceId: 'phone-6', ipAddress: '100.64.0.6' });
    expect(shopperSignals('device-farm', 6, 'r').deviceId).toBe(shopperSignals('device-farm', 7, 'r').deviceId);
  });
});
