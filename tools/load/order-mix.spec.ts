import { amountFor, CHANNEL_MIX_PER_MILLE, channelOf, DEFAULT_MIX_PER_MILLE, scenarioOf, type Scenario } from './order-mix';

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
});
