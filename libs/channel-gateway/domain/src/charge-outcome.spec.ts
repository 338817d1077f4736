import { canTransitionChannelTransaction } from './channel-transaction-status';
import { chargeResultOf, queryResultOf, type ChannelAnswer } from './charge-outcome';
import { routeChannel } from './route-channel';

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

describe('channel transaction states and routing', () => {
  it('lets only UNKNOWN move, and only to a final outcome', () => {
    expect(canTransitionChannelTransaction('UNKNOWN', 'SUCCEEDED')).toBe(true);
    expect(canTransitionChannelTransaction('UNKNOWN', 'FAILED')).toBe(true);
    expect(canTransitionChannelTransaction('SUCCEEDED', 'FAILED')).toBe(false);
    expect(canTransitionChannelTransaction('FAILED', 'SUCCEEDED')).toBe(false);
  });

  it('routes to the requested channel, or Alipay', () => {
    expect(routeChannel('unionpay')).toBe('unionpay');
    expect(routeChannel(undefined)).toBe('alipay');
  });
});
