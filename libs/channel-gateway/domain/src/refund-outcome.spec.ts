import { refundResultOf } from './refund-outcome';

describe('refund outcomes from channel answers', () => {
  it.each([
    [{ kind: 'http', status: 200, body: { status: 'SUCCESS', refundNo: 'RF1' } } as const, 'succeeded', undefined],
    [{ kind: 'http', status: 200, body: { status: 'FAILED', code: 'REFUND_REJECTED' } } as const, 'failed', 'REFUND_REJECTED'],
    [{ kind: 'http', status: 200, body: { status: 'FAILED', code: 'REFUND_AMOUNT_EXCEEDED' } } as const, 'failed', 'REFUND_AMOUNT_EXCEEDED'],
    [{ kind: 'http', status: 503, body: {} } as const, 'failed', 'HTTP 503'],
    [{ kind: 'timeout' } as const, 'failed', 'in time'],
    [{ kind: 'not-sent', detail: 'breaker open' } as const, 'failed', 'breaker open'],
  ])('%j -> %s', (answer, outcome, detail) => {
    const r = refundResultOf(answer);
    expect(r.outcome).toBe(outcome);
    if (detail) expect(r.failure).toMatchObject({ code: 'CHANNEL_REFUND_FAILED', message: expect.stringContaining(detail) });
    else expect(r.channelRefundNo).toBe('RF1');
  });
});
