import { Registry } from 'prom-client';
import type { Principal } from './principal';
import { RateLimited } from './rate-limited';
import { RateLimiter } from './rate-limiter';
import { CARD_TOKENIZE_BURST_REQUESTS, MERCHANT_KEY_REQUESTS_PER_S, RATE_LIMIT_DEFAULTS, rateLimitsOf, type RateLimits } from './rate-limits';
import { RequestRateLimits } from './request-rate-limits';

const merchant: Principal = { kind: 'merchant', merchantId: 'm-1', keyId: 'pk_live_a', mode: 'live' };
const otherKey: Principal = { kind: 'merchant', merchantId: 'm-1', keyId: 'pk_live_b', mode: 'live' };
const operator: Principal = { kind: 'operator', operatorId: 'alice', roles: ['sre'], credentialId: 'op_a' };
const service: Principal = { kind: 'service', name: 'monitoring', credentialId: 'svc_monitoring_a' };

function setup(limits: RateLimits) {
  let now = 1_000_000;
  const registry = new Registry();
  const gate = new RequestRateLimits(limits, registry, new RateLimiter(1_000, () => now));
  const refusedAs = (admit: () => unknown): RateLimited | 'admitted' => {
    try {
      admit();
      return 'admitted';
    } catch (error) {
      if (error instanceof RateLimited) return error;
      throw error;
    }
  };
  const counted = async () => (await registry.getSingleMetric('paystream_rate_limited_total')!.get()).values.map((v) => ({ ...v.labels, n: v.value }));
  return { gate, registry, refusedAs, counted, tick: (ms: number) => (now += ms) };
}

describe('rate limits from settings', () => {
  it('are the named defaults, scaled by RATE_LIMIT_SCALE, with an explicit setting as given', () => {
    expect(rateLimitsOf().standard['merchant-key']).toEqual({ ratePerS: MERCHANT_KEY_REQUESTS_PER_S, burst: RATE_LIMIT_DEFAULTS.MERCHANT_KEY_BURST_REQUESTS });
    expect(rateLimitsOf().strict['card-tokenize'].burst).toBe(CARD_TOKENIZE_BURST_REQUESTS);
    const scaled = rateLimitsOf({ IDENTITY_REGISTER_REQUESTS_PER_S: 1 }, 10);
    expect(scaled.standard['client-address'].ratePerS).toBe(RATE_LIMIT_DEFAULTS.CLIENT_ADDRESS_REQUESTS_PER_S * 10);
    expect(scaled.strict['identity-register']).toEqual({ ratePerS: 1, burst: RATE_LIMIT_DEFAULTS.IDENTITY_REGISTER_BURST_REQUESTS * 10 });
  });
});

describe('request rate limits', () => {
  const tight = rateLimitsOf({
    CLIENT_ADDRESS_REQUESTS_PER_S: 1,
    CLIENT_ADDRESS_BURST_REQUESTS: 4,
    MERCHANT_KEY_REQUESTS_PER_S: 1,
    MERCHANT_KEY_BURST_REQUESTS: 3,
    OPERATOR_TOKEN_REQUESTS_PER_S: 1,
    OPERATOR_TOKEN_BURST_REQUESTS: 1,
    SERVICE_TOKEN_REQUESTS_PER_S: 1,
    SERVICE_TOKEN_BURST_REQUESTS: 2,
    CARD_TOKENIZE_REQUESTS_PER_S: 0.5,
    CARD_TOKENIZE_BURST_REQUESTS: 1,
  });

  it('limits each merchant key on its own, refusing with whole seconds to wait, and counts the refusal', async () => {
    const { gate, refusedAs, counted } = setup(tight);
    for (let i = 0; i < 3; i++) expect(refusedAs(() => gate.admitPrincipal(merchant, 'standard'))).toBe('admitted');
    const refused = refusedAs(() => gate.admitPrincipal(merchant, 'standard')) as RateLimited;
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', subject: 'merchant-key', routeClass: 'standard', retryAfterS: 1 });
    expect(refusedAs(() => gate.admitPrincipal(otherKey, 'standard'))).toBe('admitted');
    expect(await counted()).toEqual([{ route_class: 'standard', reason: 'merchant-key', n: 1 }]);
  });

  it('limits operator and service tokens by their own limits, and never public or channel callers', () => {
    const { gate, refusedAs } = setup(tight);
    expect(refusedAs(() => gate.admitPrincipal(operator, 'standard'))).toBe('admitted');
    expect(refusedAs(() => gate.admitPrincipal(operator, 'standard'))).toMatchObject({ subject: 'operator-token' });
    expect(refusedAs(() => gate.admitPrincipal(service, 'standard'))).toBe('admitted');
    expect(refusedAs(() => gate.admitPrincipal(service, 'standard'))).toBe('admitted');
    expect(refusedAs(() => gate.admitPrincipal(service, 'standard'))).toMatchObject({ subject: 'service-token' });
    for (let i = 0; i < 10; i++) expect(refusedAs(() => gate.admitPrincipal({ kind: 'public' }, 'standard'))).toBe('admitted');
  });

  it('adds a strict class bucket per credential and per address on top of the standard one', async () => {
    const { gate, refusedAs, counted, tick } = setup(tight);
    expect(refusedAs(() => gate.admitPrincipal(merchant, 'card-tokenize'))).toBe('admitted');
    const refused = refusedAs(() => gate.admitPrincipal(merchant, 'card-tokenize')) as RateLimited;
    expect(refused).toMatchObject({ subject: 'merchant-key', routeClass: 'card-tokenize', retryAfterS: 2 });
    // the key's standard bucket kept its tokens: other routes still answer
    expect(refusedAs(() => gate.admitPrincipal(merchant, 'standard'))).toBe('admitted');
    expect(refusedAs(() => gate.admitClientAddress('203.0.113.7', 'card-tokenize'))).toBe('admitted');
    expect(refusedAs(() => gate.admitClientAddress('203.0.113.7', 'card-tokenize'))).toMatchObject({ subject: 'client-address', routeClass: 'card-tokenize' });
    tick(2_000);
    expect(refusedAs(() => gate.admitPrincipal(merchant, 'card-tokenize'))).toBe('admitted');
    expect(await counted()).toEqual([
      { route_class: 'card-tokenize', reason: 'merchant-key', n: 1 },
      { route_class: 'card-tokenize', reason: 'client-address', n: 1 },
    ]);
  });

  it('limits every request of a client address, and gives a credential its token back when asked', () => {
    const { gate, refusedAs } = setup(tight);
    for (let i = 0; i < 4; i++) expect(refusedAs(() => gate.admitClientAddress('198.51.100.1', 'standard'))).toBe('admitted');
    expect(refusedAs(() => gate.admitClientAddress('198.51.100.1', 'standard'))).toMatchObject({ subject: 'client-address', retryAfterS: 1 });
    expect(refusedAs(() => gate.admitClientAddress('198.51.100.2', 'standard'))).toBe('admitted');
    const giveBack = gate.admitPrincipal(operator, 'standard');
    giveBack();
    expect(refusedAs(() => gate.admitPrincipal(operator, 'standard'))).toBe('admitted');
  });

  it('exports how many buckets it holds', async () => {
    const { gate, registry } = setup(tight);
    gate.admitClientAddress('198.51.100.1', 'identity-register');
    expect((await registry.getSingleMetric('paystream_rate_limit_buckets')!.get()).values[0]!.value).toBe(2);
  });
});
