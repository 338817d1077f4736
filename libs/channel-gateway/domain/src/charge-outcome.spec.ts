import { chargeResultOf, closeResultOf, isChannelFailure, queryResultOf, type ChannelAnswer } from './charge-outcome';

const http = (status: number, body: unknown): ChannelAnswer => ({ kind: 'http', status, body });

describe('charge outcomes from channel answers', () => {
  it.each([
    ['success', http(200, { status: 'SUCCESS', channelTradeNo: 'T1' }), 'succeeded', undefined],
    ['insufficient funds', http(200, { status: 'DECLINED', code: 'INSUFFICIENT_FUNDS' }), 'failed', 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS'],
    ['another decline', http(200, { status: 'DECLINED', code: 'CARD_LOST' }), 'failed', 'CHANNEL_DECLINED'],
    ['in process', http(200, { status: 'PENDING', code: 'USERPAYING' }), 'unknown', 'CHANNEL_OUTCOME_UNKNOWN'],
    ['5xx', http(503, { status: 'ERROR', code: 'SYSTEM_ERROR' }), 'failed', 'CHANNEL_UNAVAILABLE'],
    ['4xx', http(400, { status: 'ERROR', code: 'INVALID_REQUEST' }), 'failed', 'CHANNEL_REJECTED_REQUEST'],
    ['timeout', { kind: 'timeout' } as const, 'unknown', 'CHANNEL_OUTCOME_UNKNOWN'],
    ['connection refused', { kind: 'network', detail: 'ECONNREFUSED' } as const, 'failed', 'CHANNEL_UNAVAILABLE'],
    ['success without a trade number', http(200, { status: 'SUCCESS' }), 'unknown', 'CHANNEL_OUTCOME_UNKNOWN'],
    ['garbage', http(200, 'oops'), 'unknown', 'CHANNEL_OUTCOME_UNKNOWN'],
  ] as const)('%s -> %s', (_label, answer, outcome, code) => {
    const r = chargeResultOf(answer);
    expect(r.outcome).toBe(outcome);
    expect(r.failure?.code).toBe(code);
  });

  it('never calls a timeout a failure: the channel may have charged', () => {
    expect(chargeResultOf({ kind: 'timeout' }).outcome).toBe('unknown');
  });
});

describe('queries for unknown outcomes', () => {
  it.each([
    ['found succeeded', http(200, { status: 'SUCCESS', channelTradeNo: 'T' }), 'succeeded'],
    ['found declined', http(200, { status: 'DECLINED', code: 'INSUFFICIENT_FUNDS' }), 'failed'],
    ['still in process', http(200, { status: 'PENDING', code: 'NOTPAY' }), 'pending'],
    ['not found', http(404, { status: 'NOT_FOUND' }), 'not-found'],
    ['query times out', { kind: 'timeout' } as const, 'pending'],
    ['query 5xx', http(500, {}), 'pending'],
    ['query refused (bad signature)', http(400, { status: 'ERROR' }), 'pending'],
  ] as const)('%s -> %s', (_label, answer, expected) => {
    const r = queryResultOf(answer);
    expect(typeof r === 'string' ? r : r.outcome).toBe(expected);
  });
});

describe('closing a trade whose outcome stayed unknown', () => {
  it.each([
    ['closed', http(200, { status: 'CLOSED' }), 'closed'],
    ['never received', http(404, { status: 'NOT_FOUND' }), 'closed'],
    ['paid meanwhile', http(200, { status: 'ALREADY_PAID' }), 'already-paid'],
    ['5xx', http(503, {}), 'retry'],
    ['timeout', { kind: 'timeout' } as const, 'retry'],
    ['unreadable', http(200, 'oops'), 'retry'],
  ] as const)('%s -> %s', (_label, answer, expected) => {
    expect(closeResultOf(answer)).toBe(expected);
  });
});

describe('what counts against a channel\'s breaker', () => {
  it.each([
    [{ kind: 'timeout' } as const, true],
    [{ kind: 'network', detail: 'ECONNREFUSED' } as const, true],
    [http(503, {}), true],
    [http(200, { status: 'DECLINED', code: 'INSUFFICIENT_FUNDS' }), false],
    [http(400, { status: 'ERROR' }), false],
    [http(200, { status: 'SUCCESS', channelTradeNo: 'T' }), false],
    [{ kind: 'not-sent', detail: 'breaker open' } as const, false],
  ])('%j -> %s', (answer, expected) => {
    expect(isChannelFailure(answer)).toBe(expected);
  });

  it('fails a charge that was never sent, with nothing charged', () => {
    expect(chargeResultOf({ kind: 'not-sent', detail: 'breaker open' })).toMatchObject({ outcome: 'failed', failure: { code: 'CHANNEL_UNAVAILABLE', retryable: true } });
  });
});
