import { breakerStates, firstValue, parseMetricsText } from './metrics-text';
import { RatioHistory } from './ratio-history';

const TEXT = `# HELP paystream_p_success P_success
# TYPE paystream_p_success gauge
paystream_p_success{service="order-payment"} 0.9090909090909091
paystream_channel_breaker_state{service="channel-gateway",channel="wechatpay",operation="charge"} 2
paystream_channel_breaker_state{service="channel-gateway",channel="alipay",operation="charge"} 0
paystream_channel_breaker_state{service="channel-gateway",channel="alipay",operation="query"} 1
odd_label{path="a \\"quoted\\" \\\\ one"} 3 1700000000000
paystream_payment_outcome_seconds_bucket{le="+Inf",outcome="succeeded"} 12
not a sample line
`;

describe('parseMetricsText', () => {
  const samples = parseMetricsText(TEXT);

  it('reads values and labels and skips comments and junk', () => {
    expect(samples).toHaveLength(6);
    expect(firstValue(samples, 'paystream_p_success')).toBeCloseTo(10 / 11, 12);
    expect(samples.find((s) => s.name === 'odd_label')).toEqual({ name: 'odd_label', labels: { path: 'a "quoted" \\ one' }, value: 3 });
    expect(samples.find((s) => s.name.endsWith('_bucket'))?.labels.le).toBe('+Inf');
    expect(firstValue(samples, 'paystream_p_risk')).toBeUndefined();
  });

  it('maps breaker gauges to states, sorted by channel and operation', () => {
    expect(breakerStates(samples)).toEqual([
      { channel: 'alipay', operation: 'charge', state: 'closed' },
      { channel: 'alipay', operation: 'query', state: 'half-open' },
      { channel: 'wechatpay', operation: 'charge', state: 'open' },
    ]);
  });
});

describe('RatioHistory', () => {
  it('keeps the points of its window only, oldest first', () => {
    const h = new RatioHistory(60_000);
    h.record('p', 0, 1);
    h.record('p', 30_000, 0.5);
    h.record('p', 61_000, 0.25);
    expect(h.points('p')).toEqual([
      { atMs: 30_000, value: 0.5 },
      { atMs: 61_000, value: 0.25 },
    ]);
    expect(h.latest('p')).toBe(0.25);
    expect(h.points('other')).toEqual([]);
  });

  it('keeps at most pointsMax points, the newest, however fast they come or however the clock steps', () => {
    const h = new RatioHistory(60_000, 100);
    for (let i = 0; i < 1_000; i++) h.record('p', 1_000_000 + i, i);
    // a clock stepped back an hour: the newer-looking points are not all kept either
    for (let i = 0; i < 1_000; i++) h.record('p', 1_000_000 - 3_600_000 + i, i);
    expect(h.points('p')).toHaveLength(100);
    expect(h.latest('p')).toBe(999);
    expect(h.points('p')[0]).toEqual({ atMs: 1_000_000 - 3_600_000 + 900, value: 900 });
  });
});
