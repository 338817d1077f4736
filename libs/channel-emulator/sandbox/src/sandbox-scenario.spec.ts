import { scenarioForAmount } from './sandbox-scenario';

describe('sandbox scenarios by the last two digits of the amount', () => {
  it.each([
    [1n, 'succeed'],
    [100n, 'succeed'],
    [12345n, 'succeed'],
    [51n, 'decline-insufficient-funds'],
    [1051n, 'decline-insufficient-funds'],
    [2052n, 'hold-then-succeed'],
    [53n, 'system-error'],
    [999954n, 'succeed-notify-twice-out-of-order'],
    [255n, 'notification-never-arrives'],
    [356n, 'succeed-after-gateway-gave-up'],
    [1057n, 'succeed-refund-fails'],
    [5n, 'succeed'],
    [150n, 'succeed'],
    [158n, 'succeed'],
  ] as const)('%s -> %s', (amount, scenario) => {
    expect(scenarioForAmount(amount)).toBe(scenario);
  });
});
