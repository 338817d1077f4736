import type { Channel } from '@paystream/contracts';
import { parseMerchantRules, routeCharge, type ChannelHealth } from './channel-routing';

const healthy: ChannelHealth = { breaker: 'closed' };
const health = (overrides: Partial<Record<Channel, ChannelHealth>> = {}) => (c: Channel) => overrides[c] ?? healthy;
const charge = (requested?: Channel, amountMinor = 1_000n, currency = 'CNY', card = false) => ({ requested, amountMinor, currency, card });
const channelOf = (r: ReturnType<typeof routeCharge>) => (r.ok ? r.channel : 'none');

describe('channel routing', () => {
  it.each([
    ['the shopper\'s healthy choice', charge('wechatpay'), health(), 'wechatpay'],
    ['the cheapest healthy channel without a choice', charge(), health(), 'alipay'],
    ['another channel when the choice\'s breaker is open', charge('alipay'), health({ alipay: { breaker: 'open' } }), 'wechatpay'],
    ['a closed breaker over a half-open one', charge(), health({ alipay: { breaker: 'half-open' } }), 'wechatpay'],
    ['the choice while half-open (a trial call)', charge('wechatpay'), health({ wechatpay: { breaker: 'half-open' } }), 'wechatpay'],
    ['the card channel for a card payment', charge(undefined, 1_000n, 'CNY', true), health(), 'unionpay'],
    ['the card channel even when a wallet was named with a card', charge('alipay', 1_000n, 'CNY', true), health(), 'unionpay'],
    ['nothing for a card payment when the card channel is open', charge('unionpay', 1_000n, 'CNY', true), health({ unionpay: { breaker: 'open' } }), 'none'],
    ['no card channel for a wallet payment', charge('unionpay'), health(), 'alipay'],
    ['a channel that answers over a cheaper one that mostly fails', charge(), health({ alipay: { breaker: 'closed', successRate: 0.4 } }), 'wechatpay'],
    ['a half-open channel when all else is open', charge(), health({ alipay: { breaker: 'open' }, wechatpay: { breaker: 'half-open' } }), 'wechatpay'],
    ['a channel that takes the amount', charge('alipay', 60_000_000n, 'CNY', true), health(), 'unionpay'],
    ['nothing for a wallet payment above every wallet\'s maximum', charge('alipay', 60_000_000n), health(), 'none'],
    ['nothing when every breaker is open', charge(), health({ alipay: { breaker: 'open' }, wechatpay: { breaker: 'open' } }), 'none'],
    ['nothing for a currency no channel takes', charge(undefined, 100n, 'USD'), health(), 'none'],
  ] as const)('picks %s', (_label, c, h, expected) => {
    expect(channelOf(routeCharge(c, h))).toBe(expected);
  });

  it('says why, so the decision can be stored with the attempt', () => {
    const r = routeCharge(charge('alipay'), health({ alipay: { breaker: 'open' } }));
    expect(r.reasons).toEqual(['alipay requested but its breaker is open', expect.stringMatching(/^routed to wechatpay: breaker closed/)]);
    expect(routeCharge(charge('alipay'), health()).reasons).toEqual(['alipay requested by the shopper']);
  });
});

describe('merchant rules', () => {
  it('keep a merchant to the channels its contract allows, and say so', () => {
    const rules = parseMerchantRules('m-wallets:wechatpay; m-cards : unionpay');
    expect(rules.get('m-wallets')).toEqual(['wechatpay']);
    const r = routeCharge({ requested: 'alipay', amountMinor: 1_000n, currency: 'CNY', merchantChannels: rules.get('m-wallets') }, health());
    expect(channelOf(r)).toBe('wechatpay');
    expect(r.reasons[0]).toBe("alipay requested but the merchant's rules allow only wechatpay");
    expect(channelOf(routeCharge({ amountMinor: 1_000n, currency: 'CNY', merchantChannels: rules.get('m-cards') }, health()))).toBe('none');
    expect(channelOf(routeCharge({ amountMinor: 1_000n, currency: 'CNY', card: true, merchantChannels: rules.get('m-cards') }, health()))).toBe('unionpay');
  });

  it.each(['m:', 'm:paypal', ':alipay'])('refuse the malformed rule %s', (text) => {
    expect(() => parseMerchantRules(text)).toThrow(RangeError);
  });
});
