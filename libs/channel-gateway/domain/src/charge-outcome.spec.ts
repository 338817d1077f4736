import { chargeResultOf, isChannelFailure, queryResultOf, settlesUnknown, type ChannelAnswer } from './charge-outcome';

const http = (status: number, body: unknown): ChannelAnswer => ({ kind: 'http', status, body });

describe('charge outcomes from channel answers', () => {
  it.each([
    ['success', http(200, { status: 'SUCCESS', channelTradeNo: 'T1' }), 'succeeded', undefined],
    ['insufficient funds', http(200, { status: 'DECLINED', code: 'INSUFFICIENT_FUNDS' }), 'failed', 'CHANNEL_DECLINED_INSUFFICIENT_FUNDS'],
    ['another decline', http(200, { status: 'DECLINED', code: 'CARD_LOST' }), 'failed', 'CHANNEL_REJECTED_REQUEST'],
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
    ['found succeeded', http(200, { status: 'SUCCESS', channelTradeNo: 'T' }), 1_000, 'succeeded'],
    ['found declined', http(200, { status: 'DECLINED', code: 'INSUFFICIENT_FUNDS' }), 1_000, 'failed'],
    ['not found yet', http(404, { status: 'NOT_FOUND' }), 1_000, 'pending'],
    ['never found', http(404, { status: 'NOT_FOUND' }), 60_000, 'failed'],
    ['query times out', { kind: 'timeout' } as const, 120_000, 'pending'],
    ['query 5xx', http(500, {}), 120_000, 'pending'],
  ] as const)('%s -> %s', (_label, answer, ageMs, expected) => {
    const r = queryResultOf(answer, ageMs, 60_000);
    expect(r === 'pending' ? r : r.outcome).toBe(expected);
  });
});

describe('a repeated charge for a stored unknown outcome', () => {
  it.each([
    ['success', http(200, { status: 'SUCCESS', channelTradeNo: 'T' }), true],
    ['decline', http(200, { status: 'DECLINED', code: 'INSUFFICIENT_FUNDS' }), true],
    ['rejected request', http(400, { status: 'ERROR', code: 'INVALID_REQUEST' }), true],
    ['5xx', http(503, { status: 'ERROR', code: 'SYSTEM_ERROR' }), false],
    ['connection refused', { kind: 'network', detail: 'ECONNREFUSED' } as const, false],
    ['another timeout', { kind: 'timeout' } as const, false],
    ['an unreadable answer', http(200, 'oops'), false],
  ] as const)('%s settles it: %s', (_label, answer, settles) => {
    expect(settlesUnknown(chargeResultOf(answer))).toBe(settles);
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
