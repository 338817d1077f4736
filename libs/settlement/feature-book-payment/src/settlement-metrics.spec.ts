import { minorAsSample } from './settlement-metrics';

describe('minorAsSample', () => {
  it.each([
    [0n, 0],
    [12_271n, 12_271],
    [-7_952n, -7_952],
    [9_007_199_254_740_991n, 9_007_199_254_740_991],
    [-9_007_199_254_740_991n, -9_007_199_254_740_991],
  ])('carries %s fen exactly', (minor, sample) => {
    expect(minorAsSample(minor)).toBe(sample);
    expect(BigInt(minorAsSample(minor)!)).toBe(minor);
  });

  it.each([9_007_199_254_740_992n, 9_007_199_254_740_993n, -9_007_199_254_740_993n])('refuses %s fen, which a float64 would round', (minor) => {
    expect(minorAsSample(minor)).toBeUndefined();
  });
});
