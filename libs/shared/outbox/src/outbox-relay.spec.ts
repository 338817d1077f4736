import { OUTBOX_RETRY_BACKOFF_INITIAL_MS, OUTBOX_RETRY_BACKOFF_MAX_MS, retryBackoffMs } from './outbox-relay';

describe('retryBackoffMs', () => {
  it.each([
    [1, OUTBOX_RETRY_BACKOFF_INITIAL_MS],
    [2, OUTBOX_RETRY_BACKOFF_INITIAL_MS * 2],
    [3, OUTBOX_RETRY_BACKOFF_INITIAL_MS * 4],
    [6, OUTBOX_RETRY_BACKOFF_MAX_MS],
    [1_000, OUTBOX_RETRY_BACKOFF_MAX_MS],
  ])('after %i failures in a row pauses %i ms', (failures, expected) => {
    expect(retryBackoffMs(failures)).toBe(expected);
  });
});
