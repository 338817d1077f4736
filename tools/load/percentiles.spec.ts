import { percentile } from './percentiles';

describe('percentile (nearest rank)', () => {
  it.each([
    [[5], 0.5, 5],
    [[1, 2, 3, 4], 0.5, 2],
    [[4, 3, 2, 1], 0.99, 4],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.99, 99],
    [Array.from({ length: 100 }, (_, i) => i + 1), 0.5, 50],
  ])('of %j at %d is %d', (samples, q, expected) => {
    expect(percentile(samples, q)).toBe(expected);
  });

  it('is undefined without samples', () => {
    expect(percentile([], 0.5)).toBeUndefined();
  });
});
