import { afterFailedPayout, afterPayoutAttempt, canTransition, payoutBackoffMs, SETTLEMENT_BATCH_STATUSES, type SettlementBatchStatus } from './settlement-schedule';

describe('settlement batch state table and payout retries', () => {
  const allowed: [SettlementBatchStatus, SettlementBatchStatus][] = [
    ['DUE', 'PAYING'],
    ['PAYING', 'COMPLETED'],
    ['PAYING', 'DUE'],
    ['PAYING', 'FAILED'],
    ['PAYING', 'PAYING'],
  ];

  it.each(SETTLEMENT_BATCH_STATUSES.flatMap((from) => SETTLEMENT_BATCH_STATUSES.map((to) => [from, to] as const)))('%s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(allowed.some(([f, t]) => f === from && t === to));
  });

  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [7, 60_000],
    [50, 60_000],
  ])('waits %s attempts -> %s ms', (attempts, ms) => {
    expect(payoutBackoffMs(attempts)).toBe(ms);
  });

  it.each([
    [1, 5, { status: 'DUE', retryInMs: 1_000 }],
    [4, 5, { status: 'DUE', retryInMs: 8_000 }],
    [5, 5, { status: 'FAILED' }],
    [1, 1, { status: 'FAILED' }],
  ])('after failed attempt %s of %s', (attempts, max, next) => {
    expect(afterFailedPayout(attempts, max)).toEqual(next);
  });
});

describe('payout outcomes', () => {
  it.each([
    ['PAID', 1, { status: 'COMPLETED' }],
    ['PAID', 9, { status: 'COMPLETED' }],
    ['FAILED', 1, { status: 'DUE', retryInMs: 1_000 }],
    ['FAILED', 3, { status: 'FAILED' }],
    ['UNKNOWN', 1, { status: 'DUE', retryInMs: 1_000 }],
    ['UNKNOWN', 3, { status: 'DUE', retryInMs: 4_000 }], // never given up: the bank may have paid
    ['UNKNOWN', 50, { status: 'DUE', retryInMs: 60_000 }],
  ] as const)('%s on attempt %s of 3', (outcome, attempts, next) => {
    expect(afterPayoutAttempt(outcome, attempts, 3)).toEqual(next);
  });
});
