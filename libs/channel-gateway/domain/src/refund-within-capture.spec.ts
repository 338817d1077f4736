import { refundBeyondCapture } from './refund-within-capture';

describe('a refund within what the charge captured', () => {
  it.each([
    ['the first refund, in full', 10_000n, 0n, 10_000n],
    ['a part', 10_000n, 0n, 1n],
    ['the last part, to the minor unit', 10_000n, 6_000n, 4_000n],
  ])('fits: %s', (_label, capturedMinor, refundedMinor, amountMinor) => {
    expect(refundBeyondCapture({ capturedMinor, refundedMinor }, amountMinor)).toBeUndefined();
  });

  it.each([
    ['one minor unit too many', 10_000n, 6_000n, 4_001n, '4001 asked, 4000 of 10000 captured left to refund'],
    ['anything once fully refunded', 10_000n, 10_000n, 1n, '1 asked, 0 of 10000 captured left to refund'],
    ['more than the whole charge', 10_000n, 0n, 10_001n, '10001 asked, 10000 of 10000 captured left to refund'],
    ['a zero amount', 10_000n, 0n, 0n, 'a refund is a positive amount, not 0'],
  ])('refused with REFUND_EXCEEDS_CAPTURED: %s', (_label, capturedMinor, refundedMinor, amountMinor, detail) => {
    expect(refundBeyondCapture({ capturedMinor, refundedMinor }, amountMinor)).toEqual({ code: 'REFUND_EXCEEDS_CAPTURED', message: expect.stringContaining(detail), retryable: false });
  });
});
