import { RestartBudget } from './restart-budget';

describe('RestartBudget', () => {
  const cases: { what: string; crashesAtMs: number[]; expected: boolean[] }[] = [
    { what: 'restarts up to the maximum within the window', crashesAtMs: [0, 10, 20], expected: [true, true, true] },
    { what: 'refuses the crash past the maximum within the window', crashesAtMs: [0, 10, 20, 30], expected: [true, true, true, false] },
    { what: 'forgets crashes older than the window', crashesAtMs: [0, 10, 20, 1_000, 1_010], expected: [true, true, true, true, true] },
    { what: 'a crash exactly one window later no longer counts the first', crashesAtMs: [0, 1, 2, 1_000], expected: [true, true, true, true] },
  ];

  it.each(cases)('$what', ({ crashesAtMs, expected }) => {
    const budget = new RestartBudget(3, 1_000);
    expect(crashesAtMs.map((t) => budget.allowRestart(t))).toEqual(expected);
  });
});
